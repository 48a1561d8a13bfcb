package io.finetune.bench.scale;

import io.finetune.devserver.LoopbackTemporalServer;
import io.finetune.devserver.TemporalCliDevServer;
import io.finetune.workflows.common.FinetuneSearchAttributes;

/**
 * The embedded Temporal test server (what {@code finetune dev} runs without the Temporal CLI) in a
 * process of its own, with our search attributes; for bench/run when the CLI is not installed.
 * Prints {@code port N} once it answers and serves until killed.
 */
public final class EmbeddedServer {
  private EmbeddedServer() {}

  public static void main(String[] args) throws InterruptedException {
    int port = TemporalCliDevServer.freeDevPort();
    LoopbackTemporalServer server =
        LoopbackTemporalServer.start(port, FinetuneSearchAttributes.definitions());
    Runtime.getRuntime().addShutdownHook(new Thread(server::close));
    System.out.println("port " + server.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
