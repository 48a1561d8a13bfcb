package io.finetune.devserver;

import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The Temporal CLI's {@code temporal server start-dev} as a child process: the same server code as
 * production, on 127.0.0.1 only (gRPC, Web UI, HTTP API and metrics), with its state in a SQLite
 * file so that runs survive a restart, and our search attributes registered at launch.
 */
public final class TemporalCliDevServer implements DevServer {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final int port;
  private final int uiPort;
  private final Path database;
  private final Path log;

  private TemporalCliDevServer(Process process, int port, int uiPort, Path database, Path log) {
    this.process = process;
    this.port = port;
    this.uiPort = uiPort;
    this.database = database;
    this.log = log;
  }

  /**
   * Starts {@code cli} on 127.0.0.1:{@code port} (0: a free port) with the Web UI on {@code uiPort}
   * (0: a free port), state in {@code stateDir}, and waits until it answers.
   */
  public static TemporalCliDevServer start(
      Path cli,
      int port,
      int uiPort,
      Path stateDir,
      Map<String, IndexedValueType> searchAttributes) {
    // A free port may be taken by another process before the server binds it (the server also
    // binds ports of its own): with ports of our choosing, try again on others.
    boolean chosen = port == 0 && uiPort == 0;
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(cli, port, uiPort, stateDir, searchAttributes);
      } catch (PortTaken e) {
        if (!chosen || attempt == 3) {
          throw e;
        }
      }
    }
  }

  /** The server exited at start, its log saying an address is in use. */
  static final class PortTaken extends IllegalStateException {
    PortTaken(String message) {
      super(message);
    }
  }

  private static TemporalCliDevServer startOnce(
      Path cli,
      int port,
      int uiPort,
      Path stateDir,
      Map<String, IndexedValueType> searchAttributes) {
    int grpc = port == 0 ? freePort() : port;
    int ui = uiPort == 0 ? freePort() : uiPort;
    Path database = stateDir.resolve("temporal-dev.db");
    Path log = stateDir.resolve("temporal-dev.log");
    List<String> command = new ArrayList<>();
    command.addAll(
        List.of(
            cli.toString(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            String.valueOf(grpc),
            "--ui-port",
            String.valueOf(ui),
            "--db-filename",
            database.toString(),
            "--ui-disable-news-fetch",
            "--log-level",
            "warn"));
    searchAttributes.forEach(
        (name, type) -> {
          command.add("--search-attribute");
          command.add(name + "=" + SearchAttributeTypes.name(type));
        });
    Process process;
    try {
      Files.createDirectories(stateDir);
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + cli + ": " + e.getMessage(), e);
    }
    TemporalCliDevServer server = new TemporalCliDevServer(process, grpc, ui, database, log);
    try {
      server.awaitReady();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        String tail = tail();
        String message =
            "The Temporal dev server exited at start (code "
                + process.exitValue()
                + "); is port "
                + port
                + " or "
                + uiPort
                + " on 127.0.0.1 taken? Its log, "
                + log
                + ", ends with:\n"
                + tail;
        throw tail.contains("address already in use")
            ? new PortTaken(message)
            : new IllegalStateException(message);
      }
      WorkflowServiceStubs stubs =
          WorkflowServiceStubs.newServiceStubs(
              WorkflowServiceStubsOptions.newBuilder().setTarget(target()).build());
      try {
        stubs.healthCheck();
        return;
      } catch (RuntimeException notYet) {
        sleep(200);
      } finally {
        stubs.shutdownNow();
      }
    }
    throw new IllegalStateException(
        "The Temporal dev server did not answer on " + target() + " within " + READY_TIMEOUT);
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public String target() {
    return "127.0.0.1:" + port;
  }

  @Override
  public Optional<String> webUi() {
    return Optional.of("http://127.0.0.1:" + uiPort);
  }

  @Override
  public String description() {
    return "Temporal CLI dev server (persisted in " + database + ")";
  }

  public int port() {
    return port;
  }

  public int uiPort() {
    return uiPort;
  }

  /** The server's process, e.g. to stop it the hard way in a crash test. */
  public ProcessHandle process() {
    return process.toHandle();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** A port on 127.0.0.1 that nothing listens on right now. */
  /**
   * A free port P with P + 1000 (the Web UI's, as {@code finetune dev} places it) free too, both
   * below Linux's default range of ports for outgoing connections (32768 and up): a port from that
   * range may be taken by some client socket while a server is down, and its restart on the same
   * port then fails with "address already in use".
   */
  public static int freeDevPort() {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = 20_000 + random.nextInt(11_000);
      if (isFree(port) && isFree(port + 1000)) {
        return port;
      }
    }
    return freePort();
  }

  private static boolean isFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the dev server", e);
    }
  }
}
