package io.finetune.cli;

import io.finetune.worker.dev.DevEnvironment;
import io.finetune.worker.dev.LoopbackTemporalServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "dev",
    description = {
      "Starts an embedded Temporal dev server on 127.0.0.1, the worker and the local provider,"
          + " and stays up until Ctrl-C.",
      "The embedded server keeps everything in memory; `docker compose up` gives a real,"
          + " persistent one."
    })
class DevCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--port", description = "Port on 127.0.0.1 (default: ${DEFAULT-VALUE})")
  int port = 7233;

  @Option(
      names = "--home",
      description = "Worker state folder (default: $FINETUNE_HOME or ~/.finetune)")
  Path home;

  @Option(
      names = "--no-worker",
      description = "Only the Temporal dev server; run `./finetune worker` yourself")
  boolean noWorker;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AutoCloseable env;
    String target;
    try {
      if (noWorker) {
        LoopbackTemporalServer server = LoopbackTemporalServer.start(port);
        env = server;
        target = server.target();
      } else {
        DevEnvironment dev = DevEnvironment.start(port, home == null ? Home.defaultHome() : home);
        env = dev;
        target = dev.target();
      }
    } catch (IllegalStateException e) {
      throw new UserError(e.getMessage(), e);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    env.close();
                  } catch (Exception e) {
                    err.println("error while stopping: " + e);
                    err.flush();
                  }
                  stopped.countDown();
                }));
    out.println("Temporal dev server (in memory) listening on " + target);
    out.println(
        noWorker
            ? "No worker: start one with `./finetune worker` (TEMPORAL_ADDRESS=" + target + ")."
            : "Worker polling task queue fine-tune; local provider on 127.0.0.1.");
    out.println("Use it from another terminal, e.g.:");
    out.println("  ./finetune start examples/ticket-triage/spec.yaml");
    out.println("finetune dev is ready. Press Ctrl-C to stop.");
    out.flush();
    stopped.await();
    return 0;
  }
}
