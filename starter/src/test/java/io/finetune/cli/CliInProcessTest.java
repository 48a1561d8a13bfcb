package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.devserver.LoopbackTemporalServer;
import io.finetune.workflows.pipeline.Action;
import io.finetune.workflows.pipeline.Channel;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionProof;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.pipeline.Stage;
import io.finetune.workflows.spec.Size;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The CLI run in-process (picocli with its own writers), against an embedded Temporal server on a
 * free loopback port with a stub pipeline on task queue fine-tune: a run that opens data-review,
 * records the decision and ends PROMOTED (or REJECTED) at once, so that what the commands say about
 * runs and reruns of an id is checked in seconds.
 */
class CliInProcessTest {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern RUN_ID = Pattern.compile("run ([0-9a-f-]{36})");

  @TempDir static Path dir;
  private static LoopbackTemporalServer server;
  private static WorkflowServiceStubs stubs;
  private static WorkflowClient client;
  private static WorkerFactory workers;

  record Result(int exit, String out, String err) {
    String all() {
      return out + err;
    }
  }

  /** Runs the CLI in this JVM, as {@code ./finetune args...} would. */
  static Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = FinetuneCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  /** A command against the embedded server. */
  static Result temporal(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--address");
    all.add(server.target());
    return cli(all.toArray(String[]::new));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void assertNoStackTrace(Result r) {
    assertFalse(r.all().contains("\tat "), "no stack trace:\n" + r.all());
  }

  static String runId(String text) {
    Matcher m = RUN_ID.matcher(text);
    assertTrue(m.find(), "a run id in:\n" + text);
    return m.group(1);
  }

  /** The bundled example spec, with absolute data paths so that it can live anywhere. */
  static Path exampleSpec(String file) throws IOException {
    return Files.writeString(dir.resolve(file), ExampleSpec.withAbsolutePaths(REPO));
  }

  @BeforeAll
  static void startServerAndStubWorker() {
    server = LoopbackTemporalServer.start(0);
    stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(server.target()).build());
    client = WorkflowClient.newInstance(stubs);
    workers = WorkerFactory.newInstance(client);
    workers.newWorker("fine-tune").registerWorkflowImplementationTypes(StubPipeline.class);
    workers.start();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (workers != null) {
      workers.shutdownNow();
      workers.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (stubs != null) {
      stubs.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
  }

  /** The ended run's result, waiting at most 20 s for it. */
  static PipelineStatus resultOf(String id, String runId) throws Exception {
    return client
        .newUntypedWorkflowStub(id, Optional.of(runId), Optional.empty())
        .getResult(20, TimeUnit.SECONDS, PipelineStatus.class);
  }

  /** The run's status, once it has ended (at most 20 s). */
  static WorkflowExecutionStatus awaitClosed(String id, String runId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    WorkflowExecutionStatus s = null;
    while (System.nanoTime() < deadline) {
      s = Runs.describe(client, id, runId).getWorkflowExecutionInfo().getStatus();
      if (s != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        return s;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(id + " run " + runId + " did not end in 20 s; last status " + s);
  }

  // ---- without a server ----

  @Test
  void aBadSpecNamesFileLineAndField() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.yaml"), "name: x\ndatset:\n  path: a.jsonl\n");
    Result r = cli("start", bad.toString());
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().startsWith("error: "), r.all());
    assertTrue(r.err().contains("bad.yaml:2: unknown field 'datset'"), r.all());
    assertEquals("", r.out());
    assertNoStackTrace(r);
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    Result r = cli("strat", "spec.yaml");
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains("Unmatched argument"), r.all());
    assertTrue(r.err().contains("Did you mean: finetune "), r.all());
    assertNoStackTrace(r);
  }

  @Test
  void aMissingRequiredOptionIsAUsageError() {
    Result r = cli("approve", "some-run", "--by", "alice");
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains("Missing required option: '--checkpoint=<checkpoint>'"), r.all());
  }

  @Test
  void noServerAtTheAddressGetsAClearMessage() throws IOException {
    Result r = cli("list", "--address", "127.0.0.1:" + freePort());
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains("error: No Temporal server answers at 127.0.0.1:"), r.all());
    assertTrue(r.err().contains("./finetune dev"), r.all());
    assertNoStackTrace(r);
  }

  @Test
  void aMissingBatchFileIsRefusedBeforeConnecting() {
    Result r =
        cli(
            "drift-check",
            "--model",
            "ticket-triage",
            "--batch",
            dir.resolve("nope.jsonl").toString(),
            "--address",
            "127.0.0.1:1");
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains("nope.jsonl: no such batch file"), r.all());
  }

  @Test
  void anUnexpectedFailureExitsOneWithAHintOrTheTrace() throws IOException {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    Result r = cli("generate-example", "--out", file.resolve("sub").toString());
    assertEquals(1, r.exit(), r.all());
    assertTrue(r.err().startsWith("error: "), r.all());
    if (System.getenv("FINETUNE_DEBUG") == null) {
      assertTrue(r.err().contains("(set FINETUNE_DEBUG=1 to see the stack trace)"), r.all());
      assertNoStackTrace(r);
    } else {
      assertTrue(r.err().contains("\tat "), r.all());
    }
  }

  // ---- against the embedded server with the stub pipeline ----

  @Test
  void anIdThatRanIsRefusedUnlessRerunWhichStartsANewRun() throws Exception {
    Path spec = exampleSpec("rerun.yaml");
    String id = "inproc-rerun";

    Result first = temporal("start", spec.toString(), "--id", id);
    assertEquals(0, first.exit(), first.all());
    String run1 = runId(first.out());
    assertTrue(
        first.out().startsWith("Started " + id + " (FineTunePipeline, run " + run1), first.out());

    Result open = temporal("start", spec.toString(), "--id", id, "--rerun");
    assertEquals(2, open.exit(), open.all());
    assertTrue(open.err().contains("A run with id " + id + " is still running"), open.all());
    assertTrue(open.err().contains("run " + run1 + ", the only run of this id"), open.all());

    Result status = temporal("status", id);
    assertEquals(0, status.exit(), status.all());
    assertTrue(
        status.out().startsWith(id + ": run " + run1 + ", the only run of this id"), status.out());
    assertTrue(status.out().contains("waiting for: data-review"), status.out());

    Result approve =
        temporal("approve", id, "--checkpoint", "data-review", "--by", "alice", "--comment", "ok");
    assertEquals(0, approve.exit(), approve.all());
    assertEquals(
        "Recorded: approve at data-review by alice (\"ok\") on "
            + id
            + " (run "
            + run1
            + ", the only run of this id), unverified (--by only)\n",
        approve.out().replace(System.lineSeparator(), "\n"));
    assertEquals(Outcome.PROMOTED, resultOf(id, run1).outcome());

    Result refused = temporal("start", spec.toString(), "--id", id);
    assertEquals(2, refused.exit(), refused.all());
    assertTrue(
        refused
            .err()
            .contains(
                "error: "
                    + id
                    + " has already run: its run "
                    + run1
                    + ", the only run of this id (FineTunePipeline) ended COMPLETED at "),
        refused.all());
    assertTrue(refused.err().contains("with outcome PROMOTED"), refused.all());
    assertTrue(refused.err().contains("add --rerun"), refused.all());
    assertTrue(refused.err().contains("or pick another --id"), refused.all());
    assertNoStackTrace(refused);
    assertEquals(1, Runs.count(client, id, run1).getAsInt(), "the refusal started nothing");

    Result rerun = temporal("start", spec.toString(), "--id", id, "--rerun");
    assertEquals(0, rerun.exit(), rerun.all());
    String run2 = runId(rerun.out());
    assertNotEquals(run1, run2, "a new run");
    assertTrue(rerun.out().contains("a new run of this id: the earlier run " + run1), rerun.out());
    assertEquals(
        WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
        Runs.describe(client, id, run1).getWorkflowExecutionInfo().getStatus(),
        "the first run is untouched");

    Result status2 = temporal("status", id);
    assertTrue(
        status2.out().startsWith(id + ": run " + run2 + ", the latest of 2 runs of this id"),
        status2.out());
    assertTrue(status2.out().contains("waiting for: data-review"), status2.out());

    Result reject = temporal("reject", id, "--checkpoint", "data-review", "--by", "bob");
    assertEquals(0, reject.exit(), reject.all());
    assertTrue(
        reject.out().contains("(run " + run2 + ", the latest of 2 runs of this id)"), reject.out());
    assertEquals(Outcome.REJECTED_AT_DATA_REVIEW, resultOf(id, run2).outcome());
    assertEquals(Outcome.PROMOTED, resultOf(id, run1).outcome(), "the first run's result stays");

    Result closed = temporal("approve", id, "--checkpoint", "data-review", "--by", "alice");
    assertEquals(2, closed.exit(), closed.all());
    assertTrue(
        closed
            .err()
            .contains(
                "No open run with id '"
                    + id
                    + "': its run "
                    + run2
                    + ", the latest of 2 runs of this id, ended COMPLETED at "),
        closed.all());

    Result list = temporal("list");
    assertEquals(0, list.exit(), list.all());
    assertEquals(2, list.out().split(id + " ", -1).length - 1, "both runs listed:\n" + list.out());
  }

  @Test
  void startSaysWhatThePreflightCheckedAndNoPreflightLetsABadFileThroughToTheServer()
      throws Exception {
    Result good = temporal("start", exampleSpec("preflight.yaml").toString(), "--id", "inproc-ok");
    assertEquals(0, good.exit(), good.all());
    assertTrue(
        Pattern.compile(
                "\n  preflight: dataset \\d+ rows, eval set corner-cases \\d+ rows, all readable\n")
            .matcher(good.out().replace(System.lineSeparator(), "\n"))
            .find(),
        good.out());

    Path bad = StartPreflightTest.malformed("not-json.jsonl");
    Path spec =
        Files.writeString(
            dir.resolve("no-preflight.yaml"),
            StartPreflightTest.specText(StartPreflightTest.Kind.FIELDS, bad, null));
    String id = "inproc-no-preflight";

    Result refused = temporal("start", spec.toString(), "--id", id);
    assertEquals(2, refused.exit(), refused.all());
    assertTrue(refused.err().contains(bad + ":3: not valid JSON"), refused.all());
    assertTrue(Runs.latest(client, id).isEmpty(), "nothing started");

    Result skipped = temporal("start", spec.toString(), "--id", id, "--no-preflight");
    assertEquals(0, skipped.exit(), skipped.all());
    String run = runId(skipped.out());
    assertTrue(skipped.out().contains(Preflight.SKIPPED + "\n"), skipped.out());
    assertEquals(1, Runs.count(client, id, run).getAsInt(), "the run is on the server");
    temporal("cancel", "inproc-ok");
    temporal("cancel", id);
  }

  @Test
  void withoutRerunTheServerRefusesAnIdThatRanEvenPastTheCheck() throws Exception {
    // What a start racing with another one meets: no check first, the reuse policy alone.
    String id = "inproc-policy";
    PipelineInput input =
        new PipelineInput(
            io.finetune.activities.spec.SpecLoader.load(exampleSpec("policy.yaml")), "test");
    FineTunePipeline first =
        client.newWorkflowStub(FineTunePipeline.class, StartCommand.options(id, "t", false));
    String run1 = WorkflowClient.start(first::run, input).getRunId();
    client
        .newUntypedWorkflowStub(id, Optional.of(run1), Optional.empty())
        .update("decide", DecisionRecord.class, new Decision("data-review", "approve", "a", null));
    resultOf(id, run1);

    FineTunePipeline again =
        client.newWorkflowStub(FineTunePipeline.class, StartCommand.options(id, "t", false));
    assertThrows(
        WorkflowExecutionAlreadyStarted.class, () -> WorkflowClient.start(again::run, input));

    FineTunePipeline rerun =
        client.newWorkflowStub(FineTunePipeline.class, StartCommand.options(id, "t", true));
    String run2 = WorkflowClient.start(rerun::run, input).getRunId();
    assertNotEquals(run1, run2);
    assertEquals(2, Runs.count(client, id, run2).getAsInt());
    client.newUntypedWorkflowStub(id, Optional.of(run2), Optional.empty()).cancel();
  }

  @Test
  void cancelAddressesTheLatestRunAndSaysWhichOne() throws Exception {
    Path spec = exampleSpec("cancel.yaml");
    String id = "inproc-cancel";
    Result started = temporal("start", spec.toString(), "--id", id);
    assertEquals(0, started.exit(), started.all());
    String run1 = runId(started.out());

    Result cancel = temporal("cancel", id);
    assertEquals(0, cancel.exit(), cancel.all());
    assertTrue(
        cancel
            .out()
            .contains("Cancellation requested for " + id + " (run " + run1 + ", the only run"),
        cancel.out());
    assertEquals(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED, awaitClosed(id, run1));

    Result again = temporal("cancel", id);
    assertEquals(2, again.exit(), again.all());
    assertTrue(again.err().contains("No open run with id '" + id + "'"), again.all());
    assertTrue(again.err().contains("ended CANCELED at "), again.all());

    Result status = temporal("status", id);
    assertEquals(2, status.exit(), status.all());
    assertTrue(status.out().startsWith(id + ": run " + run1), status.all());
    assertTrue(status.err().contains(id + " ended CANCELED"), status.all());

    Result refused = temporal("start", spec.toString(), "--id", id);
    assertEquals(2, refused.exit(), refused.all());
    assertTrue(refused.err().contains("ended CANCELED at "), refused.all());
    assertFalse(refused.err().contains("with outcome"), refused.all());
  }

  @Test
  void reviewMistakesAreNamedBeforeAnythingIsSent() throws Exception {
    Path exists = Files.writeString(dir.resolve("edited.jsonl"), "{}\n");

    Result noExport = cli("review", "any", "--suggest-with", "gpt-4o", "--by", "a");
    Result noBy = cli("review", "any", "--corrections", exists.toString());
    Result overwrite = cli("review", "any", "--export", exists.toString());
    Result missing =
        cli("review", "any", "--corrections", dir.resolve("nope.jsonl").toString(), "--by", "a");
    Result both = cli("review", "any", "--export", "a.jsonl", "--corrections", exists.toString());

    assertTrue(noExport.err().contains("--suggest-with goes with --export FILE"), noExport.all());
    assertTrue(noBy.err().contains("--by NAME is required"), noBy.all());
    assertTrue(overwrite.err().contains("exists: it may hold your edits"), overwrite.all());
    assertTrue(missing.err().contains("nope.jsonl: no such file"), missing.all());
    assertTrue(both.err().contains("mutually exclusive"), both.all());
    for (Result r : List.of(noExport, noBy, overwrite, missing, both)) {
      assertEquals(2, r.exit(), r.all());
    }
    Result neverRan = temporal("review", "inproc-never", "--export", "x.jsonl");
    assertTrue(neverRan.err().contains("No run with id 'inproc-never'"), neverRan.all());
  }

  @Test
  void anIdThatNeverRanIsNamed() {
    for (String command : List.of("status", "cancel")) {
      Result r = temporal(command, "inproc-never");
      assertEquals(2, r.exit(), r.all());
      assertTrue(r.err().contains("No run with id 'inproc-never'"), r.all());
    }
    Result r = temporal("approve", "inproc-never", "--checkpoint", "promotion", "--by", "a");
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains("No run with id 'inproc-never'"), r.all());
  }

  @Test
  void approveWithATokenFileSendsItsIdAndAProofOfThisDecisionOnThisRunNeverTheToken()
      throws Exception {
    Path spec = exampleSpec("proof.yaml");
    String id = "inproc-proof";
    Result started = temporal("start", spec.toString(), "--id", id);
    assertEquals(0, started.exit(), started.all());
    String run = runId(started.out());
    String token = "ftap-tok_0123456789abcdef." + "s3cr3t".repeat(7) + "x";
    Path file = Files.writeString(dir.resolve("alice.token"), token + "\n");

    Result approve =
        temporal(
            "approve",
            id,
            "--checkpoint",
            "data-review",
            "--by",
            "alice",
            "--comment",
            "ok",
            "--token-file",
            file.toString());
    assertEquals(0, approve.exit(), approve.all());

    Decision sent = StubPipeline.RECEIVED.get(id);
    assertEquals("tok_0123456789abcdef", sent.tokenId());
    String key = DecisionProof.sha256Hex(token);
    assertTrue(DecisionProof.matches(key, id, run, sent), "a proof of this decision on this run");
    assertFalse(DecisionProof.matches(key, id, "another-run", sent), "of this run only");
    assertFalse(
        DecisionProof.matches(
            key,
            id,
            run,
            new Decision("data-review", "approve", "alice", "other", sent.tokenId(), sent.proof())),
        "of this comment only");
    String secret = token.substring(token.indexOf('.') + 1);
    assertFalse(approve.all().contains(secret), "the token is never printed");
    // Protobuf's text form shows every payload's bytes, printable ones as they are.
    String history = client.fetchHistory(id).getHistory().toString();
    assertTrue(history.contains(sent.proof()), "the proof is in the history");
    assertFalse(history.contains(secret), "the token is not");
    resultOf(id, run);
  }

  @Test
  void aTokenFileWithoutAnApproverTokenIsRefusedBeforeAnythingIsSentAndNotEchoed()
      throws Exception {
    Path gateway = Files.writeString(dir.resolve("gateway.token"), "ftgw-notAnApproverSecret\n");
    Result wrong =
        cli(
            "approve",
            "inproc-never-started",
            "--checkpoint",
            "data-review",
            "--by",
            "alice",
            "--token-file",
            gateway.toString());
    assertEquals(2, wrong.exit(), wrong.all());
    assertTrue(wrong.err().contains("does not hold an approver token"), wrong.all());
    assertTrue(wrong.err().contains("tokens create --approver"), wrong.all());
    assertFalse(wrong.all().contains("notAnApproverSecret"), "never echoed:\n" + wrong.all());
    assertNoStackTrace(wrong);

    Result missing =
        cli(
            "reject",
            "inproc-never-started",
            "--checkpoint",
            "data-review",
            "--by",
            "alice",
            "--token-file",
            dir.resolve("nope.token").toString());
    assertEquals(2, missing.exit(), missing.all());
    assertTrue(missing.err().contains("No such token file: "), missing.all());
  }

  /**
   * A pipeline that opens data-review at once, records the decision it gets, and ends: PROMOTED
   * when approved, REJECTED_AT_DATA_REVIEW when rejected.
   */
  public static class StubPipeline implements FineTunePipeline {
    /** The decisions as they arrived, by workflow id (a test's window into the Update). */
    static final Map<String, Decision> RECEIVED = new java.util.concurrent.ConcurrentHashMap<>();

    private String name = "stub";
    private DecisionRecord decision;

    @Override
    public PipelineStatus run(PipelineInput input) {
      name = input.spec().name();
      Workflow.await(() -> decision != null);
      return status();
    }

    @Override
    public DecisionRecord decide(Decision d) {
      RECEIVED.put(Workflow.getInfo().getWorkflowId(), d);
      decision =
          new DecisionRecord(
              Checkpoint.DATA_REVIEW,
              Action.find(d.action()).orElseThrow(),
              d.by(),
              d.comment(),
              Workflow.currentTimeMillis(),
              Channel.UPDATE,
              false);
      return decision;
    }

    @Override
    public void validateDecide(Decision d) {
      if (decision != null || !Checkpoint.DATA_REVIEW.id().equals(d.checkpoint())) {
        throw new IllegalArgumentException("checkpoint " + d.checkpoint() + " is not open");
      }
    }

    @Override
    public void decision(Decision d) {}

    @Override
    public io.finetune.workflows.pipeline.CorrectionRecord correct(
        io.finetune.workflows.pipeline.Corrections c) {
      throw new UnsupportedOperationException("not at a data review with data");
    }

    @Override
    public void validateCorrect(io.finetune.workflows.pipeline.Corrections c) {
      throw new IllegalArgumentException("the stub takes no corrections");
    }

    @Override
    public io.finetune.workflows.pipeline.Suggestions suggest(
        io.finetune.workflows.pipeline.SuggestionRequest r) {
      throw new UnsupportedOperationException("not at a data review with data");
    }

    @Override
    public void validateSuggest(io.finetune.workflows.pipeline.SuggestionRequest r) {
      throw new IllegalArgumentException("the stub takes no suggestions");
    }

    @Override
    public PipelineStatus waitUntilDecisionNeeded() {
      return status();
    }

    @Override
    public PipelineStatus status() {
      boolean approved = decision != null && decision.approved();
      return new PipelineStatus(
          name,
          "cli",
          decision == null ? Stage.DATA_REVIEW : Stage.DONE,
          decision == null ? Checkpoint.DATA_REVIEW : null,
          "exact_match",
          0.9,
          null,
          null,
          Map.of(),
          null,
          List.of(Size.SMALL),
          List.of(),
          Map.of(),
          null,
          null,
          null,
          decision == null ? List.of() : List.of(decision),
          List.of(),
          List.of(),
          decision == null ? null : approved ? Outcome.PROMOTED : Outcome.REJECTED_AT_DATA_REVIEW,
          decision == null ? null : "stub",
          null);
    }
  }
}
