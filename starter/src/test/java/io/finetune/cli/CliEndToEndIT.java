package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.devserver.TemporalCli;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflowservice.v1.RegisterNamespaceRequest;
import io.temporal.client.WorkflowClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product as a user runs it: `finetune dev` (server + worker + local provider) in one process,
 * and each CLI command in a process of its own, talking over gRPC on 127.0.0.1. Runs once per
 * Temporal server (system property {@code finetune.e2e.server}): {@code embedded}, the in-memory
 * fallback, and {@code temporal-cli}, the real dev server (skipped when the Temporal CLI is not
 * installed, unless FINETUNE_REQUIRE_TEMPORAL_CLI is set, as in CI).
 */
// A backstop only: every wait below has a deadline of its own and fails with what it last saw.
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class CliEndToEndIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Which server `dev` runs for this execution of the suite. */
  static final boolean REAL_SERVER =
      System.getProperty("finetune.e2e.server", "embedded").equals("temporal-cli");

  @TempDir static Path home;
  private static Process dev;
  private static int port;

  @SuppressWarnings("JdkObsolete") // appended to by a reader thread while tests read it
  private static final StringBuffer devOutput = new StringBuffer();

  /** Every process a test starts, stopped when the tests end, also when they fail. */
  private static final List<Process> processes = Collections.synchronizedList(new ArrayList<>());

  /** How long one CLI command may take before it counts as hung. */
  private static final Duration COMMAND_DEADLINE = Duration.ofSeconds(90);

  /** How long a run may take to reach a stage (the first run of a fresh JVM is the slowest). */
  private static final Duration RUN_DEADLINE = Duration.ofMinutes(3);

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
    pb.environment().remove("FINETUNE_DEBUG");
    return pb;
  }

  /** A started process and the thread that reads its output (stdout and stderr). */
  record Launched(Process process, Thread reader) {}

  /** Starts a process and reads its output on a thread of its own. */
  static Launched launch(ProcessBuilder pb, StringBuffer output, Consumer<String> onLine)
      throws IOException {
    Process p = pb.start();
    processes.add(p);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                  output.append(line).append('\n');
                  onLine.accept(line);
                }
              } catch (IOException ignored) {
                // the process ended or was destroyed
              }
            },
            "process output reader");
    reader.setDaemon(true);
    reader.start();
    return new Launched(p, reader);
  }

  static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(15, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    processes.remove(p);
  }

  @BeforeAll
  static void startDev() throws Exception {
    // Should the test JVM itself be stopped, take the processes along.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  synchronized (processes) {
                    processes.forEach(Process::destroyForcibly);
                  }
                }));
    if (REAL_SERVER && TemporalCli.find(REPO).isEmpty()) {
      String missing = "The Temporal CLI is not installed; run ./scripts/install-temporal-cli";
      if (System.getenv("FINETUNE_REQUIRE_TEMPORAL_CLI") != null) {
        throw new AssertionError(missing);
      }
      Assumptions.abort(missing + " to run this suite against the real dev server");
    }
    port = freePort();
    ProcessBuilder devProcess =
        REAL_SERVER
            ? java("dev", "--port", String.valueOf(port))
            : java("dev", "--port", String.valueOf(port), "--embedded");
    // One more provider, on a port where nothing listens: a provider that is down.
    devProcess
        .environment()
        .put(
            "SPRING_APPLICATION_JSON",
            "{\"finetune\":{\"providers\":{\"down\":{\"retry-budget\":\"PT1S\","
                + "\"base-url\":\"http://127.0.0.1:"
                + freePort()
                + "/v1\"}}}}");
    CountDownLatch ready = new CountDownLatch(1);
    dev =
        launch(
                devProcess,
                devOutput,
                line -> {
                  if (line.contains("finetune dev is ready")) {
                    ready.countDown();
                  }
                })
            .process();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!ready.await(1, TimeUnit.SECONDS)) {
      if (!dev.isAlive() || System.nanoTime() > deadline) {
        stop(dev);
        throw new AssertionError(
            "finetune dev did not get ready within 120 s (exited: "
                + !dev.isAlive()
                + "):\n"
                + devOutput);
      }
    }
    String expected = REAL_SERVER ? "Temporal CLI dev server" : "embedded Temporal test server";
    assertTrue(devOutput.toString().contains(expected), devOutput.toString());
  }

  @AfterAll
  static void stopAll() throws Exception {
    List<Process> left;
    synchronized (processes) {
      left = new ArrayList<>(processes);
    }
    for (Process p : left) {
      stop(p);
    }
  }

  /** The bundled example spec, with absolute data paths so that it can live anywhere. */
  static String exampleSpec() throws IOException {
    return ExampleSpec.withAbsolutePaths(REPO);
  }

  /**
   * Runs one CLI command in a process of its own; one that has not ended after {@link
   * #COMMAND_DEADLINE} is destroyed and fails the test with its output so far.
   */
  static Result cli(String... args) throws Exception {
    return cli(COMMAND_DEADLINE, args);
  }

  static Result cli(Duration commandDeadline, String... args) throws Exception {
    @SuppressWarnings("JdkObsolete") // appended to by a reader thread while this one reads it
    StringBuffer out = new StringBuffer();
    Launched launched = launch(java(args), out, line -> {});
    Process p = launched.process();
    String command = "finetune " + String.join(" ", args);
    try {
      if (!p.waitFor(commandDeadline.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(
            command + " hung: no exit within " + commandDeadline + "; output so far:\n" + out);
      }
      // The output ends with the process: let the reader take the last lines.
      launched.reader().join(10_000);
      if (launched.reader().isAlive()) {
        throw new AssertionError(command + " exited but its output did not end:\n" + out);
      }
      return new Result(p.exitValue(), out.toString());
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      processes.remove(p);
    }
  }

  /**
   * Runs a command again until its output contains {@code expected}; fails with the last output
   * when that has not happened within 30 s.
   */
  static Result cliUntil(String expected, String... args) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Result r = cli(args);
    while (!r.out().contains(expected)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "finetune "
                + String.join(" ", args)
                + " did not print '"
                + expected
                + "' within 30 s; last output (exit "
                + r.exit()
                + "):\n"
                + r.out());
      }
      Thread.sleep(500);
      r = cli(args);
    }
    return r;
  }

  /**
   * Queries the latest run of {@code id} until {@code until} holds; fails with the last status seen
   * when the run ends first or {@link #RUN_DEADLINE} passes.
   */
  static PipelineStatus awaitStatus(String id, Predicate<PipelineStatus> until) throws Exception {
    WorkflowClient client = TemporalOptions.connect("127.0.0.1:" + port, "default");
    FineTunePipeline run = client.newWorkflowStub(FineTunePipeline.class, id);
    long deadline = System.nanoTime() + RUN_DEADLINE.toNanos();
    try {
      while (true) {
        PipelineStatus s = run.status();
        if (until.test(s)) {
          return s;
        }
        WorkflowExecutionStatus state =
            Runs.describe(client, id, "").getWorkflowExecutionInfo().getStatus();
        if (state != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
          s = run.status(); // it may have got there just before it ended
          if (until.test(s)) {
            return s;
          }
          throw new AssertionError("run " + id + " ended " + state + " before getting there: " + s);
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "run " + id + " did not get there within " + RUN_DEADLINE + "; last status: " + s);
        }
        Thread.sleep(200);
      }
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  static String group(String text, String regex) {
    Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
    assertTrue(m.find(), "'" + regex + "' in:\n" + text);
    return m.group(1);
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

    Corrected corrected = correctAtTheReview("e2e-run");

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

    assertTrainedOnTheCorrections(awaitStatus("e2e-run", s -> s.outcome() != null), corrected);
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
    assertTrue(drift.out().contains("retraining started: ticket-triage-retrain"), drift.out());
    PipelineStatus retrain =
        awaitStatus("ticket-triage-retrain", s -> s.pendingCheckpoint() == Checkpoint.DATA_REVIEW);
    assertTrue(retrain.trigger().startsWith("drift-check e2e-drift"), retrain.trigger());
    assertEquals(2, retrain.baselineEvalSets().size(), "corner cases and the fresh hold-out");

    Result cancel = cli("cancel", "ticket-triage-retrain");
    assertEquals(0, cancel.exit(), cancel.out());
    Result cancelled = cliUntil("ended CANCELED", "status", "ticket-triage-retrain");
    assertTrue(cancelled.out().contains("ended CANCELED"), cancelled.out());

    Result list = cli("list");
    assertTrue(list.out().contains("e2e-run"), list.out());
    assertTrue(list.out().contains("e2e-run-train-small"), list.out());
    assertTrue(list.out().contains("ticket-triage-retrain"), list.out());

    // The same id again: refused unless asked; a rerun is a new run end to end, never the old one.
    String firstRun = group(done.out(), "^e2e-run: run ([0-9a-f-]{36}), the only run of this id");
    String firstVersion = group(done.out(), "promoted as ticket-triage v(\\d+)");
    String firstJob = group(candidate.out(), "from job (\\S+)");
    String reseeded = Files.readString(spec).replace("seed: 7", "seed: 8");
    assertNotEquals(Files.readString(spec), reseeded, "the spec's split.seed changed");
    Path respec = Files.writeString(home.resolve("spec-seed-8.yaml"), reseeded);

    Result refused = cli("start", respec.toString(), "--id", "e2e-run");
    assertEquals(2, refused.exit(), refused.out());
    assertTrue(refused.out().contains("e2e-run has already run"), refused.out());
    assertTrue(refused.out().contains("ended COMPLETED at "), refused.out());
    assertTrue(refused.out().contains("with outcome PROMOTED"), refused.out());
    assertTrue(refused.out().contains("add --rerun"), refused.out());
    assertFalse(refused.out().contains("\tat "), "no stack trace:\n" + refused.out());

    Result rerun = cli("start", respec.toString(), "--id", "e2e-run", "--rerun");
    assertEquals(0, rerun.exit(), rerun.out());
    String secondRun =
        group(rerun.out(), "Started e2e-run \\(FineTunePipeline, run ([0-9a-f-]{36})\\)");
    assertNotEquals(firstRun, secondRun, "a new run");

    awaitStatus("e2e-run", s -> s.pendingCheckpoint() == Checkpoint.DATA_REVIEW);
    Result review2 = cli("approve", "e2e-run", "--checkpoint", "data-review", "--by", "alice");
    assertEquals(0, review2.exit(), review2.out());
    assertTrue(
        review2.out().contains("(run " + secondRun + ", the latest of 2 runs of this id)"),
        review2.out());
    awaitStatus("e2e-run", s -> s.pendingCheckpoint() == Checkpoint.PROMOTION);
    Result promote2 = cli("approve", "e2e-run", "--checkpoint", "promotion", "--by", "bob");
    assertEquals(0, promote2.exit(), promote2.out());
    awaitStatus("e2e-run", s -> s.outcome() != null);

    Result done2 = cli("status", "e2e-run");
    assertEquals(0, done2.exit(), done2.out());
    assertTrue(
        done2.out().startsWith("e2e-run: run " + secondRun + ", the latest of 2 runs of this id"),
        done2.out());
    assertTrue(done2.out().contains("outcome: PROMOTED"), done2.out());
    assertNotEquals(
        firstVersion,
        group(done2.out(), "promoted as ticket-triage v(\\d+)"),
        "a new registry version:\n" + done2.out());

    Result candidate2 = cli("status", "e2e-run-train-small");
    assertEquals(0, candidate2.exit(), candidate2.out());
    assertTrue(candidate2.out().contains("the latest of 2 runs of this id"), candidate2.out());
    assertNotEquals(
        firstJob,
        group(candidate2.out(), "from job (\\S+)"),
        "a new provider job:\n" + candidate2.out());

    if (REAL_SERVER) {
      theRealServerFindsRunsAndSchedulesDriftChecks();
    }
  }

  /** What the corrections changed: a relabeled training row and its new answer, a row excluded. */
  record Corrected(String relabeled, JsonNode label, String excluded, String accepted) {}

  /**
   * The review's round trip as a person does it: export the flagged rows with a stronger model's
   * suggestions, edit the file (relabel a training row, exclude one, accept one suggestion), send a
   * broken file first (refused with its line, nothing applied), then the right one.
   */
  @SuppressWarnings("ReferenceEquality") // three different lines of the file, not equal ones
  private Corrected correctAtTheReview(String id) throws Exception {
    Path export = home.resolve(id + "-flagged.jsonl");
    Result exported =
        cli(
            "review",
            id,
            "--export",
            export.toString(),
            "--suggest-with",
            "local-large",
            "--by",
            "alice");
    assertEquals(0, exported.exit(), exported.out());
    assertTrue(exported.out().contains("with local-large's suggestions"), exported.out());
    Result again = cli("review", id, "--export", export.toString());
    assertEquals(2, again.exit(), again.out());
    assertTrue(again.out().contains("exists: it may hold your edits"), again.out());

    PipelineStatus atReview = awaitStatus(id, s -> true);
    Set<String> training = new HashSet<>();
    for (String line : Files.readAllLines(Path.of(atReview.split().train().path()))) {
      training.add(JSON.readTree(line).get("input").asText());
    }
    List<ObjectNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(export)) {
      ObjectNode row = (ObjectNode) JSON.readTree(line);
      assertEquals("keep", row.get("action").asText(), line);
      assertTrue(row.get("row").isInt() && row.get("flagged").isArray(), line);
      lines.add(row);
    }
    assertTrue(lines.size() >= 3, "flagged rows: " + lines.size());
    ObjectNode relabel =
        lines.stream()
            .filter(l -> l.get("output").isObject() && training.contains(l.get("input").asText()))
            .findFirst()
            .orElseThrow();
    String category =
        relabel.at("/output/category").asText().equals("account") ? "shipping" : "account";
    relabel.put("action", "relabel").put("reason", "it is about the " + category);
    ObjectNode label = ((ObjectNode) relabel.get("output")).put("category", category);
    if (label.path("priority").asText().isBlank()) {
      label.put("priority", "medium"); // a flagged row may miss it: every field needs a value
    }
    ObjectNode accept =
        lines.stream()
            .filter(l -> l != relabel && l.path("suggested").isObject())
            .findFirst()
            .orElseThrow();
    accept.put("action", "accept").put("reason", "the suggestion is right");
    ObjectNode exclude =
        lines.stream().filter(l -> l != relabel && l != accept).findFirst().orElseThrow();
    exclude.put("action", "exclude").put("reason", "not a support ticket");

    Path broken = home.resolve(id + "-broken.jsonl");
    Files.writeString(broken, exclude.deepCopy().put("action", "drop") + "\n");
    Result refused = cli("review", id, "--corrections", broken.toString(), "--by", "alice");
    assertEquals(2, refused.exit(), refused.out());
    assertTrue(
        refused.out().contains(broken + ":1: field 'action': expected one of keep, relabel"),
        refused.out());
    assertFalse(refused.out().contains("\tat "), "no stack trace:\n" + refused.out());

    Path fixed = home.resolve(id + "-fixed.jsonl");
    StringBuilder edited = new StringBuilder();
    lines.forEach(l -> edited.append(l).append('\n'));
    Files.writeString(fixed, edited);
    Result applied =
        cli("review", id, "--corrections", fixed.toString(), "--by", "alice", "--comment", "v2");
    assertEquals(0, applied.exit(), applied.out());
    assertTrue(
        applied.out().contains("as data version 2: 2 relabeled, 1 excluded (by alice)"),
        applied.out());
    assertTrue(applied.out().contains("corrections: data version 2 by alice"), applied.out());
    Result status = cli("status", id);
    assertTrue(status.out().contains("waiting for: data-review"), status.out());
    assertTrue(status.out().contains("2 relabeled, 1 excluded"), status.out());
    return new Corrected(
        relabel.get("input").asText(),
        relabel.get("output"),
        exclude.get("input").asText(),
        accept.get("input").asText());
  }

  /** The trained data is the corrected version's, and its lineage says who changed what. */
  private static void assertTrainedOnTheCorrections(PipelineStatus done, Corrected corrected)
      throws Exception {
    assertEquals(Outcome.PROMOTED, done.outcome(), done.outcomeReason());
    assertEquals(1, done.corrections().size());
    assertEquals(done.corrections().get(0).data().sha256(), done.promoted().dataset().sha256());
    Map<String, JsonNode> trained = new HashMap<>();
    for (String line : Files.readAllLines(Path.of(done.split().train().path()))) {
      JsonNode row = JSON.readTree(line);
      trained.put(row.get("input").asText(), row.get("output"));
    }
    assertEquals(corrected.label(), trained.get(corrected.relabeled()), "trained on the new label");
    for (var set : List.of(done.split().train(), done.split().test())) {
      assertFalse(
          Files.readString(Path.of(set.path()))
              .contains(JSON.writeValueAsString(corrected.excluded())),
          "the excluded row is in no split");
    }
    JsonNode lineage =
        JSON.readTree(Files.readString(Path.of(done.corrections().get(0).lineage().path())));
    assertEquals("alice", lineage.get("by").asText());
    assertEquals(2, lineage.get("version").asInt());
    List<String> actions = new ArrayList<>();
    lineage.get("changes").forEach(c -> actions.add(c.get("action").asText()));
    assertEquals(3, actions.size(), lineage.toString());
    assertTrue(actions.containsAll(List.of("relabel", "accept", "exclude")), actions.toString());
  }

  /**
   * What only the real server does: Web UI links, visibility queries on our search attributes, and
   * a Schedule of drift checks on a batch folder, where a stable batch starts nothing, a drifted
   * one starts exactly one retraining (which ends promoted), and later checks find nothing new.
   */
  private void theRealServerFindsRunsAndSchedulesDriftChecks() throws Exception {
    aWorkerRefusesANamespaceWithoutOurSearchAttributesUntilSetup();

    Result shown = cli("status", "e2e-run");
    String ui = "http://127.0.0.1:" + (port + 1000) + "/namespaces/default/workflows/e2e-run/";
    assertTrue(shown.out().contains("  Web UI: " + ui), shown.out());

    Result promoted =
        cli("list", "--query", "FinetuneModel=\"ticket-triage\" AND FinetuneOutcome=\"PROMOTED\"");
    assertEquals(0, promoted.exit(), promoted.out());
    assertTrue(promoted.out().contains("e2e-run "), promoted.out());
    assertFalse(promoted.out().contains("ticket-triage-retrain"), "it was cancelled");

    // A stable batch (a third of the training rows) arrives first.
    Path inbox = Files.createDirectories(home.resolve("inbox"));
    List<String> train = Files.readAllLines(REPO.resolve("examples/ticket-triage/train.jsonl"));
    List<String> stable = new ArrayList<>();
    for (int i = 0; i < train.size(); i += 3) {
      stable.add(train.get(i));
    }
    Files.write(inbox.resolve("2025-01.jsonl"), stable);
    Result created =
        cli(
            "drift-check",
            "--model",
            "ticket-triage",
            "--batch",
            inbox.toString(),
            "--every",
            "PT2S",
            "--id",
            "e2e-schedule");
    assertEquals(0, created.exit(), created.out());
    assertTrue(created.out().contains("Created schedule e2e-schedule"), created.out());

    String checks = "WorkflowType=\"DriftCheck\" AND WorkflowId STARTS_WITH \"e2e-schedule\"";
    Result calm =
        cliUntil("e2e-schedule-", "list", "--query", checks + " AND FinetuneOutcome=\"NO_DRIFT\"");
    assertTrue(calm.out().contains("DriftCheck"), calm.out());
    cliUntil("e2e-schedule-", "list", "--query", checks + " AND FinetuneOutcome=\"NOTHING_NEW\"");

    // Then the drifted one: the next check retrains, the ones after it find nothing new.
    Files.copy(
        REPO.resolve("examples/ticket-triage/production-2024.jsonl"),
        inbox.resolve("2025-02.jsonl"));
    Result drifted =
        cliUntil("e2e-schedule-", "list", "--query", checks + " AND FinetuneOutcome=\"DRIFT\"");
    assertEquals(1, count(drifted.out(), "e2e-schedule-"), drifted.out());
    PipelineStatus retrain =
        awaitStatus(
            "ticket-triage-retrain",
            s -> s.trigger().contains("e2e-schedule") && s.pendingCheckpoint() != null);
    assertEquals(Checkpoint.DATA_REVIEW, retrain.pendingCheckpoint());
    assertEquals(
        0,
        cli("approve", "ticket-triage-retrain", "--checkpoint", "data-review", "--by", "alice")
            .exit());
    awaitStatus("ticket-triage-retrain", s -> s.pendingCheckpoint() == Checkpoint.PROMOTION);
    assertEquals(
        0,
        cli("approve", "ticket-triage-retrain", "--checkpoint", "promotion", "--by", "alice")
            .exit());
    PipelineStatus retrained = awaitStatus("ticket-triage-retrain", s -> s.outcome() != null);
    assertEquals(Outcome.PROMOTED, retrained.outcome(), retrained.outcomeReason());

    Result described = cli("schedules", "describe", "e2e-schedule");
    assertEquals(0, described.exit(), described.out());
    assertTrue(described.out().contains("e2e-schedule: active"), described.out());
    assertEquals(0, cli("schedules", "pause", "e2e-schedule").exit());
    assertTrue(cli("schedules", "list").out().contains("paused"));
    Result once = cli("list", "--query", checks + " AND FinetuneOutcome=\"DRIFT\"");
    assertEquals(
        1, count(once.out(), "e2e-schedule-"), "exactly one check retrained:\n" + once.out());
    Result retrains = cli("status", "ticket-triage-retrain");
    assertTrue(
        retrains.out().contains("the latest of 2 runs of this id"),
        "one retraining by the schedule besides the cancelled one:\n" + retrains.out());
    assertEquals(0, cli("schedules", "delete", "e2e-schedule").exit());
    Result gone = cli("schedules", "describe", "e2e-schedule");
    assertEquals(2, gone.exit(), gone.out());
  }

  /** A namespace nobody set up: the worker names `setup`, which registers what it needs. */
  private void aWorkerRefusesANamespaceWithoutOurSearchAttributesUntilSetup() throws Exception {
    WorkflowClient client = TemporalOptions.connect("127.0.0.1:" + port, "default");
    try {
      client
          .getWorkflowServiceStubs()
          .blockingStub()
          .registerNamespace(
              RegisterNamespaceRequest.newBuilder()
                  .setNamespace("e2e-bare")
                  .setWorkflowExecutionRetentionPeriod(
                      com.google.protobuf.Duration.newBuilder().setSeconds(86_400))
                  .build());
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
    Result refused = cliUntil("lacks the search attributes", "worker", "--namespace", "e2e-bare");
    assertEquals(2, refused.exit(), refused.out());
    assertTrue(refused.out().contains("Run `./finetune setup`"), refused.out());
    assertTrue(refused.out().contains("FinetuneStage"), refused.out());
    assertFalse(refused.out().contains("\tat "), "no stack trace:\n" + refused.out());

    Result setup = cli("setup", "--namespace", "e2e-bare");
    assertEquals(0, setup.exit(), setup.out());
    assertTrue(setup.out().contains("registered Finetune"), setup.out());
    Result again = cli("setup", "--namespace", "e2e-bare");
    assertTrue(again.out().contains("already registered"), again.out());

    @SuppressWarnings("JdkObsolete") // appended to by a reader thread while this one reads it
    StringBuffer out = new StringBuffer();
    CountDownLatch polling = new CountDownLatch(1);
    Process worker =
        launch(
                java("worker", "--namespace", "e2e-bare"),
                out,
                line -> {
                  if (line.contains("Worker polling task queue fine-tune")) {
                    polling.countDown();
                  }
                })
            .process();
    try {
      assertTrue(polling.await(90, TimeUnit.SECONDS), "the worker did not start:\n" + out);
    } finally {
      stop(worker);
    }
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
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
  void aHungCommandIsStoppedAndFailsWithItsOutputSoFar() throws Exception {
    // `dev` never exits by itself: the guard that keeps a hung CLI from stalling the build.
    String devPort = String.valueOf(freePort());
    AssertionError hung =
        assertThrows(
            AssertionError.class,
            () ->
                cli(Duration.ofSeconds(20), "dev", "--no-worker", "--embedded", "--port", devPort));
    assertTrue(hung.getMessage().contains("hung: no exit within PT20S"), hung.getMessage());
    assertTrue(
        hung.getMessage()
            .contains(
                "embedded Temporal test server (in memory: stopping it loses every run)"
                    + " listening on 127.0.0.1:"
                    + devPort),
        "the output so far:\n" + hung.getMessage());
    List<Long> alive =
        ProcessHandle.current()
            .children()
            .filter(ProcessHandle::isAlive)
            .map(ProcessHandle::pid)
            .toList();
    assertEquals(List.of(dev.pid()), alive, "the hung process was stopped; only dev is left");
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

    if (!REAL_SERVER) {
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
      assertFalse(schedule.out().contains("\tat "), "no stack trace:\n" + schedule.out());
    }
    Result noModel =
        cli(
            "drift-check",
            "--model",
            "no-such-model",
            "--batch",
            REPO.resolve("examples/ticket-triage/production-2024.jsonl").toString(),
            "--id",
            "e2e-no-model",
            "--wait");
    assertEquals(2, noModel.exit(), noModel.out());
    assertTrue(
        noModel
            .out()
            .contains(
                "error: e2e-no-model failed: No model called 'no-such-model' has been promoted"),
        noModel.out());
    for (Result r : List.of(badSpec, unknown, noServer, noModel)) {
      assertFalse(r.out().contains("\tat "), "no stack trace:\n" + r.out());
    }
  }
}
