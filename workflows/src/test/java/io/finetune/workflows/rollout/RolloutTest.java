package io.finetune.workflows.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.pipeline.Stage;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.rollout.RolloutActivities.Verdict;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.PipelineSpec.RolloutPolicy;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rollouts in time-skipping tests: the pipeline promotes a version that replaces the one in
 * production, its canary runs for a window of days (skipped), and the slow eval's verdict rolls it
 * out or back.
 */
class RolloutTest {
  private static final long THREE_DAYS = Duration.ofDays(3).toSeconds();

  private TestWorkflowEnvironment env;
  private FakeActivities activities;
  private WorkflowClient client;

  @BeforeEach
  void setUp() {
    activities = new FakeActivities();
    activities.exactMatchByModel.put("local-large", 0.60);
    activities.exactMatchByModel.put("ft:local-medium", 0.92);
    activities.exactMatchByModel.put("ft:serving", 0.85);
    PipelineSpec older = FakeActivities.spec(List.of(Size.SMALL), List.of());
    activities.current =
        new ModelVersion(
            "triage",
            3,
            "ft:serving",
            "local",
            "small",
            Map.of("exact_match", 0.85),
            older,
            new DatasetRef("train", "/store/train.jsonl", "sha-train", 900, 900),
            "run-1",
            "alice",
            0);
    env = activities.startEnvironment();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private static PipelineSpec spec(String onWorse) {
    PipelineSpec s = FakeActivities.spec(List.of(Size.MEDIUM), List.of());
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
        null,
        null,
        null,
        new RolloutPolicy(0.1, THREE_DAYS, 50, 0.05, onWorse, 0));
  }

  /** Starts a pipeline and approves both of its checkpoints. */
  private FineTunePipeline startAndApprove(String id, PipelineSpec spec) {
    FineTunePipeline p =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    WorkflowClient.start(p::run, new PipelineInput(spec, "test"));
    for (Checkpoint c : List.of(Checkpoint.DATA_REVIEW, Checkpoint.PROMOTION)) {
      assertEquals(c, p.waitUntilDecisionNeeded().pendingCheckpoint());
      p.decide(Decision.approve(c, "alice", null));
    }
    return p;
  }

  private static PipelineStatus result(FineTunePipeline p) {
    return WorkflowStub.fromTyped(p).getResult(PipelineStatus.class);
  }

  private Rollout rollout() {
    return client.newWorkflowStub(Rollout.class, Rollout.workflowId("triage"));
  }

  /** Waits for the canary to start, then lets its window pass (skipped time). */
  private void passTheWindow() throws InterruptedException {
    awaitRollout(s -> s.canaryFromMillis() > 0);
    env.sleep(Duration.ofSeconds(THREE_DAYS + 60));
  }

  private RolloutStatus awaitRollout(Predicate<RolloutStatus> until) throws InterruptedException {
    RolloutStatus last = null;
    for (int i = 0; i < 1200; i++) {
      try {
        last = rollout().status();
        if (until.test(last)) {
          return last;
        }
      } catch (RuntimeException notYetStarted) {
        // the child starts once the pipeline has promoted
      }
      Thread.sleep(25);
    }
    throw new AssertionError("rollout status never matched; last: " + last);
  }

  @Test
  void aCanaryThatDoesNoWorseRollsOutAfterItsWindow() throws Exception {
    activities.slowEvalVerdicts.set(0, Verdict.NO_WORSE);
    FineTunePipeline p = startAndApprove("rolls-out", spec(RolloutPolicy.ROLLBACK));

    PipelineStatus done = result(p);

    assertEquals(Outcome.PROMOTED, done.outcome());
    assertFalse(activities.promotions.get(0).servesAtOnce(), "the rollout decides what serves");
    RolloutResult r = done.rollout();
    assertEquals(RolloutOutcome.ROLLED_OUT, r.outcome());
    assertEquals(4, r.candidate());
    assertEquals(3, r.stable());
    assertEquals(4, r.serving());
    assertEquals("slow eval", r.decidedBy());
    assertTrue(activities.calls.contains("canary v4 0.1"), activities.calls.toString());
    assertTrue(activities.calls.contains("roll out v4"), activities.calls.toString());
    // The slow eval read the window the canary ran: three days of (skipped) time.
    RolloutActivities.SlowEvalRequest eval = activities.slowEvals.get(0);
    assertEquals(
        (double) Duration.ofDays(3).toMillis(),
        (double) (eval.untilMillis() - eval.fromMillis()),
        5_000);
    assertEquals(50, eval.minEvents());
    assertTrue(done.outcomeReason().contains("Rolled out after its canary"), done.outcomeReason());
    Histories.replayAndMaybeRecord(client, "rolls-out", "fine-tune-pipeline-rolls-out");
    Histories.replayAndMaybeRecord(client, Rollout.workflowId("triage"), "rollout-rolls-out");
  }

  @Test
  void aWorseCanaryIsRolledBackAutomaticallyWithTheReason() throws Exception {
    activities.slowEvalVerdicts.set(0, Verdict.WORSE);
    FineTunePipeline p = startAndApprove("rolled-back", spec(RolloutPolicy.ROLLBACK));

    PipelineStatus done = result(p);

    assertEquals(Outcome.ROLLED_BACK, done.outcome());
    assertEquals(RolloutOutcome.ROLLED_BACK, done.rollout().outcome());
    assertEquals(3, done.rollout().serving());
    assertTrue(activities.calls.contains("roll back v4"), activities.calls.toString());
    assertTrue(done.rollout().reason().contains("worse"), done.rollout().reason());
    assertTrue(done.outcomeReason().contains("v3 serves"), done.outcomeReason());
    assertNotNull(done.promoted(), "the version stays in the registry");
    Histories.replayAndMaybeRecord(client, "rolled-back", "fine-tune-pipeline-rolled-back");
    Histories.replayAndMaybeRecord(client, Rollout.workflowId("triage"), "rollout-rolled-back");
  }

  @Test
  void aPersonDecidesAtTheRollbackCheckpointWhenTheSpecAsks() throws Exception {
    activities.slowEvalVerdicts.set(0, Verdict.WORSE);
    FineTunePipeline p = startAndApprove("asks", spec(RolloutPolicy.ASK));
    passTheWindow();

    RolloutStatus waiting = awaitRollout(s -> s.pendingCheckpoint() != null);
    assertEquals(Checkpoint.ROLLBACK, waiting.pendingCheckpoint());
    assertEquals(RolloutStatus.Phase.ROLLBACK_REVIEW, waiting.phase());
    assertEquals(Verdict.WORSE, waiting.slowEval().verdict());
    assertEquals(Stage.ROLLING_OUT, p.status().stage());
    assertEquals(4, p.status().promoted().version(), "the version rolling out");
    // The Web UI shows where the rollout is and how to decide.
    String details =
        WorkflowStub.fromTyped(rollout())
            .query("__temporal_workflow_metadata", io.temporal.api.sdk.v1.WorkflowMetadata.class)
            .getCurrentDetails();
    assertTrue(
        details.contains("./finetune approve rollout-triage --checkpoint rollback"), details);
    assertTrue(details.contains("fake WORSE"), details);
    // A decision for another checkpoint is refused with the reason.
    WorkflowUpdateException refused =
        assertThrows(
            WorkflowUpdateException.class,
            () -> rollout().decide(Decision.approve(Checkpoint.PROMOTION, "bob", null)));
    assertTrue(refused.getCause().getMessage().contains("rollback"), refused.toString());

    rollout().decide(Decision.reject(Checkpoint.ROLLBACK, "bob", "a known labeling change"));
    PipelineStatus done = result(p);

    assertEquals(Outcome.PROMOTED, done.outcome());
    assertEquals(RolloutOutcome.ROLLED_OUT, done.rollout().outcome());
    assertEquals("bob", done.rollout().decidedBy());
    assertTrue(done.rollout().reason().contains("rolled it out anyway"), done.rollout().reason());
    assertTrue(activities.calls.contains("roll out v4"));
  }

  @Test
  void aPersonConfirmsTheRollback() throws Exception {
    activities.slowEvalVerdicts.set(0, Verdict.WORSE);
    FineTunePipeline p = startAndApprove("confirms", spec(RolloutPolicy.ASK));
    passTheWindow();
    awaitRollout(s -> s.pendingCheckpoint() != null);

    rollout().decide(Decision.approve(Checkpoint.ROLLBACK, "bob", null));

    assertEquals(Outcome.ROLLED_BACK, result(p).outcome());
    assertTrue(activities.calls.contains("roll back v4"));
  }

  @Test
  void tooFewOutcomesGetsAnotherWindowThenCounts() throws Exception {
    activities.slowEvalVerdicts.clear();
    activities.slowEvalVerdicts.addAll(List.of(Verdict.TOO_FEW, Verdict.NO_WORSE));
    FineTunePipeline p = startAndApprove("too-few", spec(RolloutPolicy.ROLLBACK));

    assertEquals(Outcome.PROMOTED, result(p).outcome());
    assertEquals(2, activities.slowEvals.size());
    RolloutActivities.SlowEvalRequest second = activities.slowEvals.get(1);
    assertEquals(
        (double) Duration.ofDays(6).toMillis(),
        (double) (second.untilMillis() - second.fromMillis()),
        5_000,
        "the second eval reads both windows");
  }

  @Test
  void tooFewOutcomesAfterEveryWindowIsNotARollout() throws Exception {
    activities.slowEvalVerdicts.set(0, Verdict.TOO_FEW);
    FineTunePipeline p = startAndApprove("never-enough", spec(RolloutPolicy.ROLLBACK));

    assertEquals(Outcome.ROLLED_BACK, result(p).outcome());
    assertEquals(RolloutImpl.MAX_WINDOWS, activities.slowEvals.size());
  }

  @Test
  void aRollbackSignalEndsTheCanaryAtOnce() throws Exception {
    FineTunePipeline p = startAndApprove("signalled", spec(RolloutPolicy.ROLLBACK));
    awaitRollout(s -> s.phase() == RolloutStatus.Phase.CANARY && s.canaryFromMillis() > 0);

    rollout().rollback(new RollbackRequest("carol", "error rate alarm"));
    PipelineStatus done = result(p);

    assertEquals(Outcome.ROLLED_BACK, done.outcome());
    assertEquals("carol", done.rollout().decidedBy());
    assertTrue(done.rollout().reason().contains("error rate alarm"), done.rollout().reason());
    assertTrue(activities.slowEvals.isEmpty(), "no slow eval after a rollback");
    assertNull(done.rollout().slowEval());
  }

  @Test
  void aCanaryEndedFromTheCommandLineIsNotRolledOut() throws Exception {
    activities.canaryEndedElsewhere = true;
    FineTunePipeline p = startAndApprove("ended-elsewhere", spec(RolloutPolicy.ROLLBACK));

    PipelineStatus done = result(p);

    assertEquals(Outcome.ROLLED_BACK, done.outcome());
    assertEquals(3, done.rollout().serving());
    assertTrue(done.rollout().reason().contains("bob"), done.rollout().reason());
  }

  @Test
  void theFirstVersionOfAModelServesAtOnce() {
    activities.current = null;
    FineTunePipeline p = startAndApprove("first", spec(RolloutPolicy.ROLLBACK));

    PipelineStatus done = result(p);

    assertEquals(Outcome.PROMOTED, done.outcome());
    assertTrue(activities.promotions.get(0).servesAtOnce());
    assertNull(done.rollout());
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("canary")));
  }

  @Test
  void theJudgeScoresAShareOfTheCanaryForTheSlowEval() throws Exception {
    PipelineSpec s = spec(RolloutPolicy.ROLLBACK);
    PipelineSpec judged =
        new PipelineSpec(
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
            new PipelineSpec.Judge("other-judge", null, "Be strict.", 100, null, 0.6, false),
            null,
            null,
            new RolloutPolicy(0.2, THREE_DAYS, 50, 0.05, RolloutPolicy.ROLLBACK, 0.25));
    FineTunePipeline p = startAndApprove("online-judge", judged);

    assertEquals(Outcome.PROMOTED, result(p).outcome());
    assertTrue(activities.calls.contains("judgeCanary other-judge"), activities.calls.toString());
    assertEquals(10, activities.slowEvals.get(0).judgment().losses());
  }
}
