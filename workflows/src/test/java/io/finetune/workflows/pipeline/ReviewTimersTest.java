package io.finetune.workflows.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.notify.NotificationActivities.Reminder;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reminders while a checkpoint waits, and the run's end when nobody decides in time. */
class ReviewTimersTest {
  private static final long HOUR = 3600;

  private TestWorkflowEnvironment env;
  private FakeActivities activities;
  private WorkflowClient client;

  @BeforeEach
  void setUp() {
    activities = new FakeActivities();
    activities.exactMatchByModel.put("local-large", 0.60);
    activities.exactMatchByModel.put("ft:local-small", 0.92);
    env = activities.startEnvironment();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private static PipelineSpec timed(Long remindAfter, Long timeout) {
    PipelineSpec s = FakeActivities.spec(List.of(Size.SMALL), List.of());
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
        new PipelineSpec.Approval(List.of(), remindAfter, timeout),
        s.drift());
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

  private static PipelineStatus result(FineTunePipeline p) {
    return WorkflowStub.fromTyped(p).getResult(PipelineStatus.class);
  }

  @Test
  void aReviewNobodyDecidesEndsTheRunHavingTrainedNothing() throws Exception {
    FineTunePipeline p = start("timed-out", timed(HOUR, 5 * HOUR));

    PipelineStatus done = result(p);

    assertEquals(Outcome.REVIEW_TIMED_OUT, done.outcome());
    assertTrue(
        done.outcomeReason().contains("data-review within approval.timeout (5h)"),
        done.outcomeReason());
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("startJob")), "no training");
    assertTrue(activities.promotions.isEmpty());
    // Reminded after 1, 2, 3 and 4 hours; at 5 hours it ended.
    List<Reminder> sent = activities.reminders;
    assertEquals(4, sent.size(), sent.toString());
    assertEquals(
        List.of(3600L, 7200L, 10800L, 14400L), sent.stream().map(Reminder::waitedSeconds).toList());
    assertEquals(3600L, sent.get(3).timeoutInSeconds());
    assertEquals("data-review", sent.get(0).checkpoint());
    assertTrue(
        sent.get(0)
            .howToDecide()
            .contains("./finetune approve timed-out --checkpoint data-review"));
    assertEquals("/store/report.md", sent.get(0).report());
    assertEquals(4, sent.stream().map(Reminder::key).distinct().count(), "one key a reminder");
    Histories.replayAndMaybeRecord(client, "timed-out", "fine-tune-pipeline-review-timed-out");
  }

  @Test
  void aDecisionInTimeStopsTheRemindersAndTheRunGoesOn() throws Exception {
    FineTunePipeline p = start("in-time", timed(HOUR, 24 * HOUR));
    assertEquals(Checkpoint.DATA_REVIEW, p.waitUntilDecisionNeeded().pendingCheckpoint());
    env.sleep(Duration.ofMinutes(150));

    p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    assertEquals(Checkpoint.PROMOTION, p.waitUntilDecisionNeeded().pendingCheckpoint());
    p.decide(Decision.approve(Checkpoint.PROMOTION, "alice", null));

    assertEquals(Outcome.PROMOTED, result(p).outcome());
    assertEquals(2, activities.reminders.size(), activities.reminders.toString());
  }

  @Test
  void withoutAWebhookTheRunSaysSoOnceAndStillTimesOut() {
    activities.webhook = false;
    FineTunePipeline p = start("no-webhook", timed(HOUR, 3 * HOUR));

    PipelineStatus done = result(p);

    assertEquals(Outcome.REVIEW_TIMED_OUT, done.outcome());
    assertEquals(
        1,
        done.notes().stream().filter(n -> n.contains("reminders not sent")).count(),
        done.notes().toString());
  }

  @Test
  void aTimeoutWithoutRemindersAndADecisionAfterTheEndIsRefused() {
    FineTunePipeline p = start("late", timed(null, 2 * HOUR));

    PipelineStatus done = result(p);

    assertEquals(Outcome.REVIEW_TIMED_OUT, done.outcome());
    assertTrue(activities.reminders.isEmpty());
    assertNull(done.promoted());
  }
}
