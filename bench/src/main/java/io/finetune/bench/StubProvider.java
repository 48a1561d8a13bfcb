package io.finetune.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible provider that answers every {@code POST /v1/chat/completions} with the same
 * small completion after a fixed delay, so that whatever a caller measures beyond that delay is the
 * caller's path (direct, or through the gateway). Run as its own process: prints {@code port N} on
 * stdout once listening and serves until killed.
 *
 * <pre>java io.finetune.bench.StubProvider [latencyMillis]</pre>
 */
public final class StubProvider {
  static final byte[] ANSWER =
      ("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":0,"
              + "\"model\":\"ft:bench-model\",\"choices\":[{\"index\":0,\"message\":"
              + "{\"role\":\"assistant\",\"content\":\"billing\"},\"finish_reason\":\"stop\"}],"
              + "\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":1,\"total_tokens\":15}}")
          .getBytes(StandardCharsets.UTF_8);

  private StubProvider() {}

  public static void main(String[] args) throws IOException {
    long latencyMillis = args.length > 0 ? Long.parseLong(args[0]) : 20;
    // Without it every small answer waits for a delayed ACK (~40 ms), as in the gateway.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    // A sleeping thread per request in flight: more than direct and gateway callers together.
    server.setExecutor(Executors.newFixedThreadPool(128));
    server.createContext("/", ex -> answer(ex, latencyMillis));
    server.start();
    System.out.println("port " + server.getAddress().getPort());
    System.out.flush();
  }

  private static void answer(HttpExchange ex, long latencyMillis) throws IOException {
    try (ex) {
      try (InputStream in = ex.getRequestBody()) {
        in.readAllBytes();
      }
      if (!ex.getRequestURI().getPath().endsWith("/chat/completions")) {
        ex.sendResponseHeaders(404, -1);
        return;
      }
      try {
        Thread.sleep(latencyMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, ANSWER.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(ANSWER);
      }
    }
  }
}
