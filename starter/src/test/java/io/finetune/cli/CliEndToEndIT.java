package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.temporal.client.WorkflowClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product as a user runs it: `finetune dev` (server + worker + local provider) in one process,
 * and each CLI command in a process of its own, talking over gRPC on 127.0.0.1.
 */
class CliEndToEndIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  @TempDir static Path home;
  private static Process dev;
  private static int port;
  private static final List<String> devOutput = new ArrayList<>();

  record Result(int exit, String out) {}

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static ProcessBuilder java(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(FinetuneCli.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("FINETUNE_REPO", REPO.toString());
    pb.environment().put("FINETUNE_HOME", home.toString());
    pb.environment().put("TEMPORAL_ADDRESS", "127.0.0.1:" + port);
    return pb;
  }

  @BeforeAll
  static void startDev() throws Exception {
    port = freePort();
    ProcessBuilder devProcess = java("dev", "--port", String.valueOf(port));
    // One more provider, on a port where nothing listens: a provider that is down.
    devProcess
        .environment()
        .put(
            "SPRING_APPLICATION_JSON",
            "{\"finetune\":{\"providers\":{\"down\":{\"base-url\":\"http://127.0.0.1:"
                + freePort()
                + "/v1\"}}}}");
    dev = devProcess.start();
    CountDownLatch ready = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(dev.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                  synchronized (devOutput) {
                    devOutput.add(line);
                  }
                  if (line.contains("finetune dev is ready")) {
                    ready.countDown();
                  }
                }
              } catch (IOException ignored) {
                // process ended
              }
            });
    reader.setDaemon(true);
    reader.start();
    if (!ready.await(120, TimeUnit.SECONDS)) {
      throw new AssertionError("finetune dev did not start:\n" + String.join("\n", devOutput));
    }
  }

  @AfterAll
  static void stopDev() throws Exception {
    if (dev != null) {
      dev.destroy();
      if (!dev.waitFor(15, TimeUnit.SECONDS)) {
        dev.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  /** The bundled example spec, with absolute data paths so that it can live anywhere. */
  static String exampleSpec() throws IOException {
    Path example = REPO.resolve("examples/ticket-triage");
    return Files.readString(example.resolve("spec.yaml"))
        .replace("path: train.jsonl", "path: " + example.resolve("train.jsonl"))
        .replace("path: corner-cases.jsonl", "path: " + example.resolve("corner-cases.jsonl"));
  }

  static Result cli(String... args) throws Exception {
    Process p = java(args).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("finetune " + String.join(" ", args) + " hung:\n" + out);
    }
    return new Result(p.exitValue(), out);
  }

  /** Runs a command again (up to about 20 s) until its output contains {@code expected}. */
  static Result cliUntil(String expected, String... args) throws Exception {
    Result r = cli(args);
    for (int i = 0; i < 40 && !r.out().contains(expected); i++) {
      Thread.sleep(500);
      r = cli(args);
    }
    return r;
  }

  static PipelineStatus awaitStatus(String id, Predicate<PipelineStatus> until) throws Exception {
    WorkflowClient client = TemporalOptions.connect("127.0.0.1:" + port, "default");
    FineTunePipeline run = client.newWorkflowStub(FineTunePipeline.class, id);
    try {
      for (int i = 0; i < 600; i++) {
        PipelineStatus s = run.status();
        if (until.test(s)) {
          return s;
        }
        Thread.sleep(200);
      }
      throw new AssertionError("run " + id + " never got there: " + run.status());
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  @Test
  void aRunIsStartedWatchedAndApprovedFromTheCli() throws Exception {
    Path spec =
        Files.writeString(
            home.resolve("spec.yaml"),
            exampleSpec().replace("sizes: [small, medium, large]", "sizes: [small]"));

    Result started = cli("start", spec.toString(), "--id", "e2e-run");
    assertEquals(0, started.exit(), started.out());
    assertTrue(started.out().contains("Started e2e-run"), started.out());

    awaitStatus("e2e-run", s -> s.pendingCheckpoint() == Checkpoint.DATA_REVIEW);
    Result status = cli("status", "e2e-run");
    assertEquals(0, status.exit(), status.out());
    assertTrue(status.out().contains("waiting for: data-review"), status.out());
    assertTrue(status.out().contains("prompt baseline (local-large)"), status.out());

    Result early = cli("approve", "e2e-run", "--checkpoint", "promotion", "--by", "alice");
    assertEquals(2, early.exit(), early.out());
    assertTrue(
        early
            .out()
            .contains("checkpoint promotion is not open; the open checkpoint is data-review"),
        early.out());
    assertFalse(early.out().contains("\tat "), "no stack trace:\n" + early.out());

    Result review =
        cli(
            "approve",
            "e2e-run",
            "--checkpoint",
            "data-review",
            "--by",
            "alice",
            "--comment",
            "ok");
    assertEquals(0, review.exit(), review.out());

    awaitStatus("e2e-run", s -> s.pendingCheckpoint() == Checkpoint.PROMOTION);
    Result promote = cli("approve", "e2e-run", "--checkpoint", "promotion", "--by", "bob");
    assertEquals(0, promote.exit(), promote.out());

    awaitStatus("e2e-run", s -> s.outcome() != null);
    Result done = cli("status", "e2e-run");
    assertTrue(done.out().contains("outcome: PROMOTED"), done.out());
    assertTrue(done.out().contains("data-review  approve  by alice via update"), done.out());
    assertTrue(done.out().contains("promotion    approve  by bob via update"), done.out());

    Result candidate = cli("status", "e2e-run-train-small");
    assertTrue(candidate.out().contains("small ft:local-small:ticket-triage:"), candidate.out());
    assertTrue(candidate.out().contains("corner-cases: exact_match"), candidate.out());

    Result closed = cli("reject", "e2e-run", "--checkpoint", "promotion", "--by", "bob");
    assertEquals(2, closed.exit(), closed.out());
    assertTrue(closed.out().contains("No open run with id 'e2e-run'"), closed.out());

    Result drift =
        cli(
            "drift-check",
            "--model",
            "ticket-triage",
            "--batch",
            REPO.resolve("examples/ticket-triage/production-2024.jsonl").toString(),
            "--id",
            "e2e-drift",
            "--wait");
    assertEquals(0, drift.exit(), drift.out());
    assertTrue(drift.out().contains("DRIFT: new-vocabulary rate"), drift.out());
    assertTrue(drift.out().contains("retraining started: e2e-drift-retrain"), drift.out());
    PipelineStatus retrain =
        awaitStatus("e2e-drift-retrain", s -> s.pendingCheckpoint() == Checkpoint.DATA_REVIEW);
    assertTrue(retrain.trigger().startsWith("drift-check e2e-drift"), retrain.trigger());
    assertEquals(2, retrain.baselineEvalSets().size(), "corner cases and the fresh hold-out");

    Result cancel = cli("cancel", "e2e-drift-retrain");
    assertEquals(0, cancel.exit(), cancel.out());
    Result cancelled = cliUntil("ended CANCELED", "status", "e2e-drift-retrain");
    assertTrue(cancelled.out().contains("ended CANCELED"), cancelled.out());

    Result list = cli("list");
    assertTrue(list.out().contains("e2e-run"), list.out());
    assertTrue(list.out().contains("e2e-run-train-small"), list.out());
    assertTrue(list.out().contains("e2e-drift-retrain"), list.out());
  }

  @Test
  void aProviderThatIsDownShowsAsRetriesWithTheReason() throws Exception {
    Path spec =
        Files.writeString(
            home.resolve("down.yaml"),
            exampleSpec()
                .replace("provider: local", "provider: down")
                .replace(
                    "  promptModel: local-large",
                    "  promptModel: local-large\n  baseModels: {small: s, medium: m, large: l}"));
    Result started = cli("start", spec.toString(), "--id", "e2e-down");
    assertEquals(0, started.exit(), started.out());

    Result status = cliUntil("retrying Evaluate in e2e-down", "status", "e2e-down");
    assertTrue(status.out().contains("stage BASELINE"), status.out());
    assertTrue(status.out().contains("retrying Evaluate in e2e-down (attempt"), status.out());
    assertTrue(status.out().contains("Provider 'down' at http://127.0.0.1:"), status.out());
    assertEquals(0, cli("cancel", "e2e-down").exit());
  }

  @Test
  void mistakesGetClearMessagesWithoutStackTraces() throws Exception {
    Path bad = Files.writeString(home.resolve("bad.yaml"), "name: x\ndatset:\n  path: a.jsonl\n");
    Result badSpec = cli("start", bad.toString());
    assertEquals(2, badSpec.exit(), badSpec.out());
    assertTrue(badSpec.out().contains("bad.yaml:2: unknown field 'datset'"), badSpec.out());

    Result unknown = cli("status", "no-such-run");
    assertEquals(2, unknown.exit(), unknown.out());
    assertTrue(unknown.out().contains("No run with id 'no-such-run'"), unknown.out());

    Result noServer = cli("list", "--address", "127.0.0.1:" + freePort());
    assertEquals(2, noServer.exit(), noServer.out());
    assertTrue(noServer.out().contains("No Temporal server answers at 127.0.0.1:"), noServer.out());
    assertTrue(noServer.out().contains("./finetune dev"), noServer.out());

    Result schedule =
        cli(
            "drift-check",
            "--model",
            "ticket-triage",
            "--batch",
            REPO.resolve("examples/ticket-triage/production-2024.jsonl").toString(),
            "--every",
            "PT24H");
    assertEquals(2, schedule.exit(), schedule.out());
    assertTrue(schedule.out().contains("does not support Schedules"), schedule.out());
    for (Result r : List.of(badSpec, unknown, noServer, schedule)) {
      assertFalse(r.out().contains("\tat "), "no stack trace:\n" + r.out());
    }
  }
}
