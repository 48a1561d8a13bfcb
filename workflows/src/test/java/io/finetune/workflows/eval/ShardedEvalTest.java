package io.finetune.workflows.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.eval.EvalActivities.ShardAnswers;
import io.finetune.workflows.eval.EvalActivities.ShardRequest;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.spec.Size;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Large evals answered in shards by as many activities, then scored once (see {@link Evals}). */
class ShardedEvalTest {
  private TestWorkflowEnvironment env;
  private FakeActivities activities;
  private WorkflowClient client;

  @BeforeEach
  void setUp() {
    activities = new FakeActivities();
    activities.exactMatchByModel.put("local-large", 0.60);
    env = activities.startEnvironment();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    if (activities.shardGate != null) {
      activities.shardGate.countDown();
    }
    env.close();
  }

  private EvalRun stub(String id) {
    return client.newWorkflowStub(
        EvalRun.class,
        WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue(TaskQueues.FINE_TUNE).build());
  }

  private EvalRunInput input() {
    return new EvalRunInput(
        FakeActivities.spec(List.of(Size.SMALL), List.of()), "local-large", null, null);
  }

  private List<String> calls(String prefix) {
    return activities.calls.stream().filter(c -> c.startsWith(prefix)).toList();
  }

  private static List<HistoryEvent> events(WorkflowClient client, String id) {
    return client.fetchHistory(id).getEvents();
  }

  private static long count(List<HistoryEvent> events, EventType type) {
    return events.stream().filter(e -> e.getEventType() == type).count();
  }

  @Test
  void aLargeTestSetIsAnsweredInShardsAndScoredOnceAndASmallSetInOneActivity() throws Exception {
    activities.testRows = 10_000;

    EvalRunResult r = stub("sharded").run(input());

    // The 10,000 test rows: ten shards of 1,000 that cover them in order, then one scoring.
    List<ShardRequest> shards = activities.shards;
    assertEquals(10, shards.size(), activities.calls.toString());
    List<ShardRequest> byRow =
        shards.stream().sorted((a, b) -> Integer.compare(a.from(), b.from())).toList();
    for (int i = 0; i < byRow.size(); i++) {
      assertEquals(i * 1000, byRow.get(i).from());
      assertEquals((i + 1) * 1000, byRow.get(i).to());
      assertEquals("test", byRow.get(i).eval().data().name());
      assertEquals("exact_match", byRow.get(i).eval().keyMetric(), "the request, whole");
    }
    assertEquals(List.of("scoreShards local-large test"), calls("scoreShards "));
    List<ShardAnswers> scored = activities.scorings.get(0).shards();
    assertEquals(
        byRow.stream().map(ShardRequest::from).toList(),
        scored.stream().map(ShardAnswers::from).toList(),
        "the shards' answers are handed over in row order");
    assertEquals("/store/answers-local-large-0", scored.get(0).answers().path());
    // The 1,000-row corner cases fit one shard: one evaluate, as before.
    assertEquals(List.of("evaluate local-large corner-cases"), calls("evaluate "));
    assertEquals(10_000, r.modelTest().rows());
    assertEquals(0.60, r.modelTest().metrics().get("exact_match"));

    List<HistoryEvent> events = events(client, "sharded");
    assertEquals(1, count(events, EventType.EVENT_TYPE_MARKER_RECORDED), "one version marker");
    Histories.replayAndMaybeRecord(client, "sharded", "eval-run-sharded");
  }

  @Test
  void smallSetsLeaveNoVersionMarker() throws Exception {
    stub("small").run(input());

    assertTrue(activities.shards.isEmpty());
    assertEquals(2, calls("evaluate ").size());
    assertEquals(
        0, count(events(client, "small"), EventType.EVENT_TYPE_MARKER_RECORDED), "as before");
  }

  @Test
  void aHundredThousandRowEvalTakesFortyShardsAndAFewHundredEventsAtMost() {
    activities.testRows = 100_000;

    stub("hundred-k").run(input());

    assertEquals(40, activities.shards.size());
    assertTrue(activities.shards.stream().allMatch(s -> s.to() - s.from() == 2500));
    List<HistoryEvent> events = events(client, "hundred-k");
    // The whole run: imports, split, both evals; not a number of events per row.
    assertTrue(events.size() <= 500, events.size() + " events");
    assertEquals(40 + 5, count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED));
  }

  @Test
  void shardsAreLaidOutToCoverEveryRowOnce() {
    for (int rows : new int[] {1001, 1999, 2000, 39_999, 40_000, 40_001, 123_457, 1_000_000}) {
      List<ShardRequest> shards =
          Evals.shards(
              new EvalActivities.EvalRequest(
                  "p",
                  "m",
                  "",
                  new io.finetune.workflows.common.DatasetRef("d", "/d", "sha", rows, rows),
                  List.of()));
      assertTrue(shards.size() <= Evals.MAX_SHARDS, rows + ": " + shards.size());
      int next = 0;
      for (ShardRequest s : shards) {
        assertEquals(next, s.from(), rows + " rows");
        assertTrue(s.to() > s.from());
        next = s.to();
      }
      assertEquals(rows, next);
    }
  }

  @Test
  void cancellingTheRunCancelsEveryRunningShard() throws Exception {
    activities.testRows = 10_000;
    activities.shardGate = new CountDownLatch(1); // the shards run until cancelled
    EvalRun run = stub("cancelled");
    CompletableFuture<EvalRunResult> result = WorkflowClient.execute(run::run, input());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (activities.shards.size() < 10 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(10, activities.shards.size(), "all shards run at once");

    WorkflowStub.fromTyped(run).cancel();

    while (activities.cancelledShards.get() < 10 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(10, activities.cancelledShards.get(), "every shard learned of it");
    Exception e = assertThrows(Exception.class, () -> result.get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof WorkflowFailedException, e.toString());
    assertTrue(e.getCause().getCause() instanceof CanceledFailure, e.getCause().toString());
    assertTrue(calls("scoreShards ").isEmpty(), "nothing scored");
  }

  @Test
  void aShardThatFailsForGoodCancelsTheOthersAndFailsTheEvalWithItsMessage() throws Exception {
    activities.testRows = 10_000;
    activities.shardGate = new CountDownLatch(1); // the other shards run until cancelled
    activities.failingShard = 3000;

    WorkflowFailedException e =
        assertThrows(WorkflowFailedException.class, () -> stub("one-fails").run(input()));

    ApplicationFailure cause = (ApplicationFailure) e.getCause().getCause();
    assertEquals("Provider 'local' refused row 3000", cause.getOriginalMessage());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (activities.cancelledShards.get() < 9 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(9, activities.cancelledShards.get(), "the nine others stopped");
    assertTrue(calls("scoreShards ").isEmpty(), "nothing scored");
  }

  @Test
  void aPipelineShardsItsLargeBaselineAndCandidateEvals() {
    activities.testRows = 5_000;
    activities.exactMatchByModel.put("local-large", 0.95); // the prompt suffices: stops there
    FineTunePipeline p =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("pipeline-sharded")
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());

    assertEquals(
        Outcome.PROMPT_SUFFICIENT,
        p.run(new PipelineInput(FakeActivities.spec(List.of(Size.SMALL), List.of()), "t"))
            .outcome());

    assertEquals(5, activities.shards.size());
    assertEquals(List.of("scoreShards local-large test"), calls("scoreShards "));
    assertFalse(calls("evaluate ").contains("evaluate local-large test"));
  }

  /**
   * A run recorded before shards, with the same 10,000-row test set: it evaluated it in one
   * activity, and replays on this code (no version marker: the old path).
   */
  @Test
  void aRunFromBeforeShardsReplaysItsSingleEvalOfALargeSet() throws Exception {
    Path file =
        Path.of(
            "src/test/resources/histories/large-before-shards--eval-run-large-unsharded-v10.json");
    WorkflowExecutionHistory history =
        WorkflowExecutionHistory.fromJson(Files.readString(file), "large-before-shards");
    List<String> types =
        history.getEvents().stream()
            .filter(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
            .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
            .toList();
    assertEquals(List.of("ImportDataset", "ImportDataset", "Split", "Evaluate", "Evaluate"), types);
    assertEquals(0, count(history.getEvents(), EventType.EVENT_TYPE_MARKER_RECORDED));

    WorkflowReplayer.replayWorkflowExecution(history, EvalRunImpl.class);
  }
}
