package io.finetune.workflows.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.JudgeActivities.JudgeRequest;
import io.finetune.workflows.registry.RegistryActivities;
import io.finetune.workflows.spec.DatasetFormat;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.spec.TargetReason;
import io.finetune.workflows.training.CandidateResult;
import io.finetune.workflows.training.TrainingActivities;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FineTunePipelineTest {
  private TestWorkflowEnvironment env;
  private FakeActivities activities;
  private WorkflowClient client;

  @BeforeEach
  void setUp() {
    activities = new FakeActivities();
    activities.exactMatchByModel.put("local-large", 0.60);
    activities.exactMatchByModel.put("ft:local-small", 0.80);
    activities.exactMatchByModel.put("ft:local-medium", 0.92);
    env = activities.startEnvironment();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private FineTunePipeline start(String id, List<Size> sizes, List<String> approvers) {
    return start(id, FakeActivities.spec(sizes, approvers));
  }

  private FineTunePipeline start(String id, PipelineSpec spec) {
    FineTunePipeline p =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    WorkflowClient.start(p::run, new PipelineInput(spec, "test"));
    return p;
  }

  private static PipelineStatus awaitStatus(FineTunePipeline p, Predicate<PipelineStatus> until)
      throws InterruptedException {
    for (int i = 0; i < 1200; i++) {
      PipelineStatus s = p.status();
      if (until.test(s)) {
        return s;
      }
      Thread.sleep(25);
    }
    throw new AssertionError("status never matched; last: " + p.status());
  }

  /** Waits until the run needs a decision, which must be at {@code checkpoint}. */
  private static PipelineStatus awaitCheckpoint(FineTunePipeline p, Checkpoint checkpoint) {
    PipelineStatus s = p.waitUntilDecisionNeeded();
    assertEquals(checkpoint, s.pendingCheckpoint(), "at stage " + s.stage());
    return s;
  }

  private static PipelineStatus result(FineTunePipeline p) {
    return WorkflowStub.fromTyped(p).getResult(PipelineStatus.class);
  }

  @Test
  void happyPathTrainsEverySizeAndPromotesTheBestAfterBothApprovals() throws Exception {
    FineTunePipeline p = start("happy", List.of(Size.SMALL, Size.MEDIUM), List.of());

    PipelineStatus review = awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    assertEquals(Stage.DATA_REVIEW, review.stage());
    // The Web UI shows where the run is and how to decide.
    String details =
        WorkflowStub.fromTyped(p)
            .query("__temporal_workflow_metadata", io.temporal.api.sdk.v1.WorkflowMetadata.class)
            .getCurrentDetails();
    assertTrue(details.contains("waiting for **data-review**"), details);
    assertTrue(details.contains("./finetune approve happy --checkpoint data-review"), details);
    assertEquals(0.60, review.baseline().metrics().get("exact_match"));
    assertTrue(review.candidates().isEmpty());
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("startJob")));

    DecisionRecord r =
        p.decide(
            new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", "labels look right"));
    assertEquals(Channel.UPDATE, r.via());

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);
    assertEquals(2, promotion.candidates().size());
    assertEquals("ft:local-medium", promotion.bestModel());
    assertTrue(promotion.gatePassed());
    assertTrue(activities.promotions.isEmpty(), "nothing is promoted before approval");

    p.decide(new Decision(Checkpoint.PROMOTION.id(), "APPROVE", "bob", null));
    PipelineStatus done = result(p);

    assertEquals(Outcome.PROMOTED, done.outcome());
    assertEquals(Stage.DONE, done.stage());
    assertEquals(1, activities.promotions.size());
    assertEquals("ft:local-medium", activities.promotions.get(0).modelId());
    assertEquals("bob", activities.promotions.get(0).approvedBy());
    assertEquals(
        List.of("alice", "bob"), done.decisions().stream().map(DecisionRecord::by).toList());
    assertEquals("labels look right", done.decisions().get(0).comment());
    assertFalse(done.decisions().get(1).override());
    // Both candidates were evaluated on the test set and on the corner-case set.
    assertTrue(activities.calls.contains("evaluate ft:local-small corner-cases"));
    assertTrue(activities.calls.contains("evaluate ft:local-medium test"));

    // The Web UI and `list --query` find the run by its search attributes.
    var attributes = WorkflowStub.fromTyped(p).describe().getTypedSearchAttributes();
    assertEquals("triage", attributes.get(FinetuneSearchAttributes.MODEL));
    assertEquals("DONE", attributes.get(FinetuneSearchAttributes.STAGE));
    assertEquals("PROMOTED", attributes.get(FinetuneSearchAttributes.OUTCOME));
    assertEquals("medium", attributes.get(FinetuneSearchAttributes.BEST_SIZE));
    assertEquals(0.92, attributes.get(FinetuneSearchAttributes.BEST_SCORE));
    assertEquals(0.60, attributes.get(FinetuneSearchAttributes.BASELINE_SCORE));
    assertEquals("sha-train", attributes.get(FinetuneSearchAttributes.DATASET_SHA256));
    assertEquals("test", attributes.get(FinetuneSearchAttributes.TRIGGER));
  }

  @Test
  void aTextTaskInChatFormatIsImportedAndEvaluatedAsText() throws Exception {
    PipelineSpec fields = FakeActivities.spec(List.of(Size.MEDIUM), List.of());
    PipelineSpec text =
        new PipelineSpec(
            "faq",
            new PipelineSpec.Dataset("/data/faq.jsonl", "input", "output", DatasetFormat.CHAT),
            List.of(),
            fields.evalSets(),
            "Answer.",
            new PipelineSpec.Target(Scores.CHRF, 0.9, TargetReason.QUALITY),
            fields.model(),
            fields.provider(),
            fields.split(),
            fields.approval(),
            fields.drift(),
            null,
            PipelineSpec.TASK_TEXT);

    FineTunePipeline p = start("faq", text);
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    awaitCheckpoint(p, Checkpoint.PROMOTION);
    p.decide(Decision.approve(Checkpoint.PROMOTION, "alice", null));
    PipelineStatus done = result(p);

    assertEquals(Outcome.PROMOTED, done.outcome(), done.outcomeReason());
    assertEquals(0.92, Scores.of(done.candidates().get(0).test().metrics(), Scores.CHRF));
    // The dataset is read as chat rows (its eval sets' format is detected) with text answers...
    assertFalse(activities.imports.isEmpty());
    for (var i : activities.imports) {
      assertEquals(i.name().equals("train") ? DatasetFormat.CHAT : null, i.format(), i.name());
      assertEquals(PipelineSpec.TASK_TEXT, i.task(), i.name());
    }
    // ...and every eval, the baseline's and the candidate's, scores text.
    assertTrue(activities.evals.size() >= 4, activities.evals.toString());
    for (var e : activities.evals) {
      assertEquals(PipelineSpec.TASK_TEXT, e.task(), e.model() + " " + e.data().name());
    }
  }

  @Test
  void stopsWithPromptSufficientWhenTheBaselineMeetsTheTarget() {
    activities.exactMatchByModel.put("local-large", 0.95);
    FineTunePipeline p = start("sufficient", List.of(Size.SMALL), List.of());

    PipelineStatus done = result(p);

    assertEquals(Outcome.PROMPT_SUFFICIENT, done.outcome());
    assertTrue(done.outcomeReason().contains("0.950"), done.outcomeReason());
    assertTrue(done.outcomeReason().contains("quality"), done.outcomeReason());
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("startJob")));
    assertFalse(activities.calls.contains("profile"));
    assertTrue(activities.promotions.isEmpty());
  }

  @Test
  void aSufficientPromptDoesNotStopARunWhoseReasonIsLatency() throws Exception {
    activities.exactMatchByModel.put("local-large", 0.95);
    FineTunePipeline p =
        start("latency", FakeActivities.spec(List.of(Size.SMALL), List.of(), TargetReason.LATENCY));

    PipelineStatus review = awaitCheckpoint(p, Checkpoint.DATA_REVIEW);

    assertNull(review.outcome());
    assertEquals(1, review.notes().size());
    assertTrue(
        review.notes().get(0).contains("the spec's reason is latency"), review.notes().get(0));
  }

  @Test
  void withLatencyAsTheReasonTheFastestCandidateReachingTheTargetIsPromoted() throws Exception {
    activities.exactMatchByModel.put("local-large", 0.95);
    activities.p95ByModel.put("local-large", 40.0);
    activities.p95ByModel.put("ft:local-small", 4.0);
    activities.p95ByModel.put("ft:local-medium", 9.0);
    activities.exactMatchByModel.put("ft:local-small", 0.91);
    FineTunePipeline p =
        start(
            "latency-gate",
            FakeActivities.spec(List.of(Size.SMALL, Size.MEDIUM), List.of(), TargetReason.LATENCY));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    // medium has the better score (0.92), but small reaches the target (0.9) and is faster.
    assertEquals("ft:local-small", promotion.bestModel());
    assertTrue(promotion.gatePassed());
    assertTrue(promotion.gateVerdict().contains("4.0 ms vs 40.0 ms"), promotion.gateVerdict());
    p.decide(new Decision(Checkpoint.PROMOTION.id(), "approve", "bob", null));
    PipelineStatus done = result(p);
    assertEquals(Outcome.PROMOTED, done.outcome());
    assertTrue(done.outcomeReason().contains("faster"), done.outcomeReason());
    Histories.replayAndMaybeRecord(client, "latency-gate", "fine-tune-pipeline-latency-gate");
  }

  /** The spec with a sweep and a validation set. */
  private static PipelineSpec sweeping(
      PipelineSpec s, PipelineSpec.Sweep sweep, double validationFraction) {
    return new PipelineSpec(
        s.name(),
        s.dataset(),
        s.outputFields(),
        s.evalSets(),
        s.prompt(),
        s.target(),
        new PipelineSpec.Model(
            s.model().sizes(), s.model().baseModels(), s.model().promptModel(), null, sweep),
        s.provider(),
        new PipelineSpec.Split(s.split().testFraction(), s.split().seed(), validationFraction),
        s.approval(),
        s.drift());
  }

  @Test
  void aSweepTrainsEveryCombinationOfEverySizeAsItsOwnCandidate() throws Exception {
    activities.exactMatchByModel.put("ft:local-small-triage-e3-lr2", 0.95);
    FineTunePipeline p =
        start(
            "sweep",
            sweeping(
                FakeActivities.spec(List.of(Size.SMALL, Size.MEDIUM), List.of()),
                new PipelineSpec.Sweep(List.of(2, 3), List.of(0.5, 2.0), 8),
                0));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertEquals(8, promotion.candidates().size());
    assertEquals(
        List.of("small e2-lr0.5", "small e2-lr2", "small e3-lr0.5", "small e3-lr2"),
        promotion.candidates().stream().map(CandidateResult::label).toList().subList(0, 4));
    assertEquals(8, activities.startJobs.size());
    assertTrue(
        activities.startJobs.stream()
            .anyMatch(
                j ->
                    j.baseModel().equals("local-medium")
                        && j.epochs() == 3
                        && j.learningRateMultiplier() == 0.5
                        && j.suffix().equals("triage-e3-lr0.5")),
        activities.startJobs.toString());
    assertEquals("ft:local-small-triage-e3-lr2", promotion.bestModel());
    // Each combination's evals are tracked run over run under its own label.
    assertEquals(
        List.of("candidate small e3-lr2", "candidate small e3-lr2"),
        activities.evals.stream()
            .filter(e -> e.model().equals("ft:local-small-triage-e3-lr2"))
            .map(EvalRequest::label)
            .toList());
    // Each combination is its own child workflow, named after it.
    assertEquals(
        "sweep-train-medium-e2-lr0.5",
        client
            .newUntypedWorkflowStub("sweep-train-medium-e2-lr0.5")
            .describe()
            .getExecution()
            .getWorkflowId());
    p.decide(new Decision(Checkpoint.PROMOTION.id(), "approve", "bob", null));
    assertEquals(Outcome.PROMOTED, result(p).outcome());
    Histories.replayAndMaybeRecord(client, "sweep", "fine-tune-pipeline-sweep");
    Histories.replayAndMaybeRecord(client, "sweep-train-medium-e2-lr0.5", "train-candidate-swept");
  }

  @Test
  void aSweepOfOneCombinationStillTrainsWithIt() throws Exception {
    FineTunePipeline p =
        start(
            "one-combination",
            sweeping(
                FakeActivities.spec(List.of(Size.SMALL), List.of()),
                new PipelineSpec.Sweep(List.of(5), List.of(), 4),
                0));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));
    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertEquals(5, activities.startJobs.get(0).epochs());
    assertEquals("small", promotion.candidates().get(0).label(), "one combination: no label");
    assertEquals(
        "one-combination-train-small",
        client
            .newUntypedWorkflowStub("one-combination-train-small")
            .describe()
            .getExecution()
            .getWorkflowId());
  }

  @Test
  void theBestCheckpointOnTheValidationSetBecomesTheCandidate() throws Exception {
    // The provider kept three checkpoints; the middle one scores best on the validation set.
    activities.checkpointsByJob.put(
        "job-local-small",
        List.of(
            new TrainingActivities.Checkpoint(
                "ft:local-small:ckpt-step-30", 30, Map.of("valid_loss", 0.3)),
            new TrainingActivities.Checkpoint(
                "ft:local-small:ckpt-step-20", 20, Map.of("valid_loss", 0.2)),
            new TrainingActivities.Checkpoint(
                "ft:local-small:ckpt-step-10", 10, Map.of("valid_loss", 0.4))));
    activities.exactMatchByModel.put("ft:local-small:ckpt-step-30", 0.85);
    activities.exactMatchByModel.put("ft:local-small:ckpt-step-20", 0.91);
    activities.exactMatchByModel.put("ft:local-small:ckpt-step-10", 0.70);
    FineTunePipeline p =
        start(
            "checkpoints",
            sweeping(FakeActivities.spec(List.of(Size.SMALL), List.of()), null, 0.1));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertEquals(0.1, activities.splitRequests.get(0).validationFraction());
    assertEquals(
        "validation", activities.startJobs.get(0).validationFileId() == null ? null : "validation");
    CandidateResult small = promotion.candidates().get(0);
    assertEquals("ft:local-small:ckpt-step-20", small.modelId());
    assertEquals(20, small.checkpoint().step());
    assertEquals(3, small.checkpoint().scored());
    assertEquals(0.91, small.checkpoint().validationScore());
    // Checkpoints were scored on the validation set; only the chosen one on the test set.
    for (int step : new int[] {10, 20, 30}) {
      assertTrue(
          activities.calls.contains("evaluate ft:local-small:ckpt-step-" + step + " validation"));
    }
    assertTrue(activities.calls.contains("evaluate ft:local-small:ckpt-step-20 test"));
    assertFalse(activities.calls.contains("evaluate ft:local-small:ckpt-step-30 test"));
    assertFalse(activities.calls.contains("evaluate ft:local-small test"));
    // Run over run: the baseline under its model, the candidate under its size whatever its
    // model; the checkpoints' scoring on the validation set is not tracked.
    for (EvalRequest e : activities.evals) {
      String expected =
          e.data().name().equals("validation")
              ? null
              : e.model().equals("local-large") ? "local-large" : "candidate small";
      assertEquals(expected, e.label(), e.model() + " on " + e.data().name());
      assertEquals(expected == null ? null : "triage", e.specName());
    }
    p.decide(new Decision(Checkpoint.PROMOTION.id(), "approve", "bob", null));
    assertEquals("ft:local-small:ckpt-step-20", result(p).promoted().modelId());
    Histories.replayAndMaybeRecord(client, "checkpoints", "fine-tune-pipeline-checkpoints");
    Histories.replayAndMaybeRecord(
        client, "checkpoints-train-small", "train-candidate-best-checkpoint");
  }

  @Test
  void withoutValidationSetTheJobsFinalModelIsTheCandidate() throws Exception {
    activities.checkpointsByJob.put(
        "job-local-small",
        List.of(new TrainingActivities.Checkpoint("ft:local-small:ckpt-step-20", 20, Map.of())));
    FineTunePipeline p = start("no-validation", List.of(Size.SMALL), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertEquals("ft:local-small", promotion.candidates().get(0).modelId());
    assertNull(promotion.candidates().get(0).checkpoint());
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("listCheckpoints")));
  }

  @Test
  void aCandidateThatTheTestSetCannotTellFromTheBaselineDoesNotPassTheGate() throws Exception {
    activities.exactMatchByModel.put("ft:local-small", 0.63); // baseline 0.60
    activities.intervalHalfWidth = 0.05; // difference +0.03, interval -0.02 to +0.08
    FineTunePipeline p = start("too-close", List.of(Size.SMALL), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertFalse(promotion.gatePassed(), "a higher point estimate alone does not pass");
    assertTrue(
        promotion.gateVerdict().contains("too small to tell it from the baseline"),
        promotion.gateVerdict());
    assertTrue(promotion.gateVerdict().contains("+0.030"), promotion.gateVerdict());
    // The candidate's test eval was paired with the baseline's predictions.
    assertEquals(
        "local-large", promotion.candidates().get(0).test().intervals().vsReference().model());
    p.decide(new Decision(Checkpoint.PROMOTION.id(), "reject", "bob", "not clearly better"));
    assertEquals(Outcome.REJECTED_AT_PROMOTION, result(p).outcome());
    Histories.replayAndMaybeRecord(client, "too-close", "fine-tune-pipeline-interval-gate");
  }

  @Test
  void rejectionAtDataReviewEndsTheRunWithoutTraining() throws Exception {
    FineTunePipeline p = start("rejected", List.of(Size.SMALL), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);

    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "reject", "alice", "labels are stale"));
    PipelineStatus done = result(p);

    assertEquals(Outcome.REJECTED_AT_DATA_REVIEW, done.outcome());
    assertTrue(done.outcomeReason().contains("labels are stale"));
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("startJob")));
    assertTrue(activities.promotions.isEmpty());
  }

  @Test
  void invalidUpdatesAreRefusedToTheCallerAndLeaveTheRunUnchanged() throws Exception {
    FineTunePipeline p = start("refused", List.of(Size.SMALL), List.of("alice"));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);

    assertRefused(
        p,
        new Decision(Checkpoint.PROMOTION.id(), "approve", "alice", null),
        "open checkpoint is data-review");
    assertRefused(
        p, new Decision("deploy", "approve", "alice", null), "unknown checkpoint 'deploy'");
    assertRefused(
        p, new Decision(Checkpoint.DATA_REVIEW.id(), "maybe", "alice", null), "unknown action");
    assertRefused(
        p, new Decision(Checkpoint.DATA_REVIEW.id(), "approve", " ", null), "'by' is required");
    assertRefused(
        p, new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "mallory", null), "may not decide");

    PipelineStatus s = p.status();
    assertEquals(Checkpoint.DATA_REVIEW, s.pendingCheckpoint());
    assertTrue(s.decisions().isEmpty());

    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));
    awaitCheckpoint(p, Checkpoint.PROMOTION);
    assertRefused(
        p, new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null), "already decided");
  }

  private static void assertRefused(FineTunePipeline p, Decision d, String expected) {
    WorkflowUpdateException e = assertThrows(WorkflowUpdateException.class, () -> p.decide(d));
    String message = String.valueOf(e.getCause().getMessage());
    assertTrue(message.contains(expected), "expected '" + expected + "' in: " + message);
  }

  @Test
  void signalsDecideToo_earlyOnesAreKept_invalidOnesAreRecordedAndIgnored() throws Exception {
    FineTunePipeline p = start("signals", List.of(Size.SMALL), List.of());
    // Sent before any checkpoint is open: kept until its checkpoint opens.
    p.decision(new Decision(Checkpoint.PROMOTION.id(), "approve", "carol", "pre-approved"));
    p.decision(new Decision("nonsense", "approve", "carol", null));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decision(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "", null));

    PipelineStatus s = p.status();
    assertEquals(2, s.ignoredSignals().size());
    assertTrue(s.ignoredSignals().get(0).reason().contains("unknown checkpoint"));
    assertTrue(s.ignoredSignals().get(1).reason().contains("'by' is required"));
    assertEquals(Checkpoint.DATA_REVIEW, s.pendingCheckpoint(), "invalid signal decided nothing");

    // As typed in the Web UI's signal dialog: plain JSON, with a field we do not know.
    WorkflowStub.fromTyped(p)
        .signal(
            "decision",
            java.util.Map.of(
                "checkpoint", "data-review", "action", "Approve", "by", "dave", "ticket", "T-1"));
    PipelineStatus done = result(p);

    assertEquals(Outcome.PROMOTED, done.outcome());
    DecisionRecord promotion = done.decisions().get(0);
    assertEquals(Checkpoint.PROMOTION, promotion.checkpoint());
    assertEquals("carol", promotion.by());
    assertEquals(Channel.SIGNAL, promotion.via());
    assertEquals("carol", activities.promotions.get(0).approvedBy());
  }

  @Test
  void approvingACandidateThatDoesNotBeatTheBaselineIsRecordedAsAnOverride() throws Exception {
    activities.exactMatchByModel.put("ft:local-small", 0.55);
    FineTunePipeline p = start("override", List.of(Size.SMALL), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));
    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);
    assertFalse(promotion.gatePassed());

    DecisionRecord r =
        p.decide(new Decision(Checkpoint.PROMOTION.id(), "approve", "alice", "ship it"));
    PipelineStatus done = result(p);

    assertEquals(Outcome.PROMOTED, done.outcome());
    assertTrue(done.decisions().get(1).override());
    assertTrue(done.outcomeReason().contains("gate overridden by alice"));
    assertFalse(
        r.override(), "the update's answer is what was received; the run marks the override");
    Histories.replayAndMaybeRecord(client, "override", "fine-tune-pipeline-gate-override");
  }

  @Test
  void aFailedCandidateIsReportedAndTheOthersGoOn() throws Exception {
    activities.failingJobs.add("job-local-small");
    FineTunePipeline p = start("one-fails", List.of(Size.SMALL, Size.MEDIUM), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus s = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertEquals(
        java.util.Map.of("small", "Fine-tuning job job-local-small failed: quota exceeded"),
        s.failedCandidates());
    assertEquals(List.of(Size.MEDIUM), s.candidates().stream().map(c -> c.size()).toList());
    p.decide(Decision.approve(Checkpoint.PROMOTION, "alice", null));
    assertEquals(Outcome.PROMOTED, result(p).outcome());
    Histories.replayAndMaybeRecord(client, "one-fails", "fine-tune-pipeline-failed-candidate");
    Histories.replayAndMaybeRecord(client, "one-fails-train-small", "train-candidate-failed");
  }

  @Test
  void whenEveryCandidateFailsTheRunFailsSayingWhy() throws Exception {
    activities.failingJobs.add("job-local-small");
    FineTunePipeline p = start("all-fail", List.of(Size.SMALL), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    var e = assertThrows(io.temporal.client.WorkflowFailedException.class, () -> result(p));
    var cause = (io.temporal.failure.ApplicationFailure) e.getCause();
    assertEquals("AllCandidatesFailed", cause.getType());
    assertTrue(cause.getOriginalMessage().contains("quota exceeded"), cause.getOriginalMessage());
    Histories.replayAndMaybeRecord(client, "all-fail", "fine-tune-pipeline-all-candidates-failed");
  }

  @Test
  void autoSizeRecommendsMediumForThousandsOfRows() throws Exception {
    FineTunePipeline p = start("auto", List.of(), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));
    PipelineStatus s = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertEquals(List.of(Size.MEDIUM), s.sizes());
    assertTrue(activities.calls.contains("startJob local-medium"));
    assertNull(s.outcome());
    p.decide(Decision.approve(Checkpoint.PROMOTION, "alice", null));
    assertEquals(Outcome.PROMOTED, result(p).outcome());
    Histories.replayAndMaybeRecord(client, "auto", "fine-tune-pipeline-auto-size");
  }

  @Test
  void rejectionAtPromotionEndsTheRunWithoutPromoting() throws Exception {
    FineTunePipeline p = start("rejected-at-promotion", List.of(Size.SMALL), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    awaitCheckpoint(p, Checkpoint.PROMOTION);

    p.decide(Decision.reject(Checkpoint.PROMOTION, "bob", "not on a Friday"));
    PipelineStatus done = result(p);

    assertEquals(Outcome.REJECTED_AT_PROMOTION, done.outcome());
    assertEquals(
        "Promotion of ft:local-small rejected by bob (\"not on a Friday\").", done.outcomeReason());
    assertTrue(activities.promotions.isEmpty());
    Histories.replayAndMaybeRecord(
        client, "rejected-at-promotion", "fine-tune-pipeline-rejected-at-promotion");
  }

  @Test
  void aFieldMetricScoresTheBaselineRanksTheCandidatesAndGates() throws Exception {
    // By exact match medium would be best; by the category field, small is.
    activities.fieldScoreByModel.put("local-large", 0.95);
    activities.fieldScoreByModel.put("ft:local-small", 0.96);
    activities.fieldScoreByModel.put("ft:local-medium", 0.90);
    PipelineSpec exact = FakeActivities.spec(List.of(Size.SMALL, Size.MEDIUM), List.of());
    PipelineSpec byField =
        exact.withTarget(new PipelineSpec.Target("field:category", 0.97, TargetReason.QUALITY));
    FineTunePipeline p = start("by-field", byField);
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    PipelineStatus s = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertEquals("field:category", s.targetMetric());
    assertEquals("ft:local-small", s.bestModel());
    assertTrue(s.gatePassed(), "0.96 beats the baseline's 0.95 on field:category");
    p.decide(Decision.approve(Checkpoint.PROMOTION, "alice", null));
    assertTrue(result(p).outcomeReason().contains("field:category 0.960 vs prompt baseline 0.950"));

    // The same field score decides that the prompt is good enough.
    activities.fieldScoreByModel.put("local-large", 0.98);
    assertEquals(
        Outcome.PROMPT_SUFFICIENT, result(start("by-field-sufficient", byField)).outcome());
  }

  @Test
  void aSignalFromSomeoneWhoIsNotAnApproverIsRecordedAndChangesNothing() throws Exception {
    FineTunePipeline p = start("not-an-approver", List.of(Size.SMALL), List.of("alice"));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);

    p.decision(Decision.approve(Checkpoint.DATA_REVIEW, "mallory", "let me in"));
    PipelineStatus s = p.status();

    assertEquals(Checkpoint.DATA_REVIEW, s.pendingCheckpoint());
    assertTrue(s.decisions().isEmpty());
    assertEquals(1, s.ignoredSignals().size());
    assertEquals(
        "'mallory' may not decide on this run; approvers are [alice]",
        s.ignoredSignals().get(0).reason());
  }

  @Test
  void cancellingARunWhileItTrainsCancelsTheProviderJob() throws Exception {
    activities.endlessJobs.add("job-local-small");
    FineTunePipeline p = start("cancelled", List.of(Size.SMALL), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    awaitStatus(p, s -> activities.calls.contains("awaitJob job-local-small"));

    WorkflowStub.fromTyped(p).cancel();

    var e = assertThrows(io.temporal.client.WorkflowFailedException.class, () -> result(p));
    assertTrue(e.getCause() instanceof io.temporal.failure.CanceledFailure, e.toString());
    assertTrue(activities.calls.contains("cancelJob job-local-small"), activities.calls.toString());
    assertTrue(activities.promotions.isEmpty());
    Histories.replayAndMaybeRecord(client, "cancelled", "fine-tune-pipeline-cancelled");
  }

  @Test
  void waitUntilDecisionNeededAnswersAtEachCheckpointAndAtTheEnd() throws Exception {
    FineTunePipeline p = start("waiting", List.of(Size.SMALL), List.of());

    PipelineStatus review = p.waitUntilDecisionNeeded();
    assertEquals(Checkpoint.DATA_REVIEW, review.pendingCheckpoint());
    assertEquals(0.60, review.baseline().metrics().get("exact_match"), "scores come with it");
    p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));

    PipelineStatus promotion = p.waitUntilDecisionNeeded();
    assertEquals(Checkpoint.PROMOTION, promotion.pendingCheckpoint());
    assertEquals(1, promotion.candidates().size());

    // A waiter that is still waiting when the run ends gets the final status.
    p.decide(Decision.reject(Checkpoint.PROMOTION, "alice", null));
    assertEquals(Outcome.REJECTED_AT_PROMOTION, result(p).outcome());
  }

  /** The spec with a judge. */
  private static PipelineSpec judged(PipelineSpec s, PipelineSpec.Judge judge) {
    return new PipelineSpec(
        s.name(),
        s.dataset(),
        s.outputFields(),
        s.evalSets(),
        s.prompt(),
        s.target(),
        s.model(),
        s.provider(),
        s.split(),
        s.approval(),
        s.drift(),
        judge,
        s.task());
  }

  private static PipelineSpec.Judge judge(boolean gate) {
    return new PipelineSpec.Judge(
        "local-judge", null, "The right category.", 500, "/data/alignment.jsonl", 0.6, gate);
  }

  @Test
  void aJudgeComparesEachCandidateWithTheBaselineAndGatesOnceAligned() throws Exception {
    activities.judgeByModel.put("ft:local-medium", new int[] {41, 12, 7});
    FineTunePipeline p =
        start(
            "judged",
            judged(FakeActivities.spec(List.of(Size.SMALL, Size.MEDIUM), List.of()), judge(true)));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    // Alignment measured once, each candidate judged against the baseline's test answers.
    assertEquals(1, activities.alignmentRequests.size());
    assertEquals(2, activities.judgeRequests.size());
    for (var r : activities.judgeRequests) {
      assertEquals("local", r.provider(), "the spec's provider by default");
      assertEquals("local-large", r.baselineModel());
      assertEquals("/store/predictions-local-large", r.baselinePredictions().path());
      assertEquals("/store/predictions-" + r.candidateModel(), r.candidatePredictions().path());
      assertEquals("test", r.test().name());
      assertEquals(500, r.maxPairs());
    }
    // Each candidate's order comes from its own seed.
    assertFalse(activities.judgeRequests.get(0).seed() == activities.judgeRequests.get(1).seed());
    CandidateResult medium =
        promotion.candidates().stream()
            .filter(c -> c.modelId().equals("ft:local-medium"))
            .findFirst()
            .orElseThrow();
    assertEquals(41, medium.judge().wins());
    assertEquals(7, medium.judge().losses());
    assertTrue(promotion.judge().gates());
    assertNull(promotion.judge().refusal());
    assertEquals(0.8, promotion.judge().alignment().kappa(), 1e-9);
    assertTrue(promotion.gatePassed());
    assertTrue(
        promotion.gateVerdict().contains("the judge local-judge prefers it"),
        promotion.gateVerdict());

    p.decide(new Decision(Checkpoint.PROMOTION.id(), "approve", "bob", null));
    assertEquals(Outcome.PROMOTED, result(p).outcome());
    Histories.replayAndMaybeRecord(client, "judged", "fine-tune-pipeline-pairwise-judge");
  }

  @Test
  void aModelInProductionIsScoredOnTheTestSetAndEachCandidateJudgedAgainstIt() throws Exception {
    PipelineSpec older =
        FakeActivities.spec(List.of(Size.SMALL), List.of())
            .withTarget(new PipelineSpec.Target("exact_match", 0.99, TargetReason.QUALITY));
    activities.current =
        new RegistryActivities.ModelVersion(
            "triage",
            3,
            "ft:serving",
            "local",
            "small",
            Map.of("exact_match", 0.9),
            new PipelineSpec(
                older.name(),
                older.dataset(),
                older.outputFields(),
                older.evalSets(),
                "The prompt it was trained with.",
                older.target(),
                older.model(),
                older.provider(),
                older.split(),
                older.approval(),
                older.drift()),
            new DatasetRef("train", "/store/train.jsonl", "sha-train", 900, 900),
            "run-1",
            "alice",
            0);
    activities.exactMatchByModel.put("ft:serving", 0.85);
    activities.judgeByModel.put("ft:local-medium", new int[] {30, 5, 5});
    FineTunePipeline p =
        start(
            "vs-production",
            judged(FakeActivities.spec(List.of(Size.MEDIUM), List.of()), judge(false)));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    EvalRequest served =
        activities.evals.stream()
            .filter(r -> r.model().equals("ft:serving"))
            .findFirst()
            .orElseThrow();
    assertEquals("test", served.data().name(), "scored on this run's test set");
    assertEquals("The prompt it was trained with.", served.prompt());
    assertEquals(0.85, Scores.of(promotion.production().metrics(), "exact_match"), 1e-9);
    CandidateResult medium = promotion.candidates().get(0);
    assertEquals("local-large", medium.judge().baselineModel());
    assertEquals("ft:serving", medium.judgeVsProduction().baselineModel());
    assertEquals(30, medium.judgeVsProduction().wins());
    JudgeRequest againstProduction =
        activities.judgeRequests.stream()
            .filter(r -> r.baselineModel().equals("ft:serving"))
            .findFirst()
            .orElseThrow();
    assertEquals("/store/predictions-ft:serving", againstProduction.baselinePredictions().path());

    p.decide(new Decision(Checkpoint.PROMOTION.id(), "approve", "bob", null));
    assertEquals(Outcome.PROMOTED, result(p).outcome());
    Histories.replayAndMaybeRecord(client, "vs-production", "fine-tune-pipeline-vs-production");
  }

  @Test
  void aGatingJudgeThatPrefersTheBaselineStopsTheGate() throws Exception {
    activities.judgeByModel.put("ft:local-medium", new int[] {5, 10, 20});
    FineTunePipeline p =
        start(
            "judge-says-no",
            judged(FakeActivities.spec(List.of(Size.MEDIUM), List.of()), judge(true)));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertFalse(promotion.gatePassed(), "the scores pass, the judge does not");
    assertTrue(promotion.gateVerdict().contains("does NOT prefer it"), promotion.gateVerdict());
  }

  @Test
  void aJudgeBelowItsAlignmentFloorIsRefusedAsAGateAndOnlyInforms() throws Exception {
    activities.alignmentKappa = 0.4;
    activities.judgeByModel.put("ft:local-medium", new int[] {5, 10, 20});
    FineTunePipeline p =
        start(
            "weak-judge",
            judged(FakeActivities.spec(List.of(Size.MEDIUM), List.of()), judge(true)));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertFalse(promotion.judge().gates());
    assertTrue(
        promotion.judge().refusal().contains("kappa with people is 0.40, below the floor"),
        promotion.judge().refusal());
    // Its verdict (more losses than wins) does not stop a candidate that passes on scores.
    assertTrue(promotion.gatePassed(), promotion.gateVerdict());
    assertTrue(promotion.gateVerdict().contains("does not gate"), promotion.gateVerdict());
    assertTrue(
        promotion.notes().stream().anyMatch(n -> n.contains("refused as a gate")),
        promotion.notes().toString());
    assertEquals(20, promotion.candidates().get(0).judge().losses(), "still judged");
  }

  @Test
  void aGatingJudgeWithTooFewHumanPairsIsRefused() throws Exception {
    activities.alignmentPairs = 12;
    FineTunePipeline p =
        start(
            "few-pairs", judged(FakeActivities.spec(List.of(Size.MEDIUM), List.of()), judge(true)));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertFalse(promotion.judge().gates());
    assertTrue(
        promotion.judge().refusal().contains("12 human-judged pairs, fewer than 30"),
        promotion.judge().refusal());
  }

  @Test
  void aJudgeOfTheCandidatesOwnFamilyGivesNoVerdictAndTheRunGoesOn() throws Exception {
    FineTunePipeline p =
        start(
            "own-family",
            judged(
                FakeActivities.spec(List.of(Size.MEDIUM), List.of()),
                new PipelineSpec.Judge("local-medium", null, null, 100, null, 0.6, false)));
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertNull(promotion.candidates().get(0).judge());
    assertTrue(
        promotion.notes().stream().anyMatch(n -> n.contains("gave no verdict on medium")),
        promotion.notes().toString());
    assertTrue(activities.alignmentRequests.isEmpty(), "no alignment file, none measured");
    assertTrue(promotion.gatePassed(), "an informational judge does not gate");
  }

  @Test
  void withoutAJudgeNothingIsJudged() throws Exception {
    FineTunePipeline p = start("no-judge", List.of(Size.MEDIUM), List.of());
    awaitCheckpoint(p, Checkpoint.DATA_REVIEW);
    p.decide(new Decision(Checkpoint.DATA_REVIEW.id(), "approve", "alice", null));

    PipelineStatus promotion = awaitCheckpoint(p, Checkpoint.PROMOTION);

    assertNull(promotion.judge());
    assertNull(promotion.candidates().get(0).judge());
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("judge")));
  }
}
