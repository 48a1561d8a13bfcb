package io.finetune.workflows.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Corrections and suggestions at the data review: each correction makes a new data version that is
 * split and profiled again while the checkpoint stays open, and what is trained and promoted is the
 * last version; refusals reach the sender and leave the review as it was.
 */
class DataCorrectionsTest {
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

  private FineTunePipeline start(String id, List<String> approvers) {
    FineTunePipeline p =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    WorkflowClient.start(
        p::run, new PipelineInput(FakeActivities.spec(List.of(Size.SMALL), approvers), "test"));
    assertEquals(Checkpoint.DATA_REVIEW, p.waitUntilDecisionNeeded().pendingCheckpoint());
    return p;
  }

  private static Corrections file(String by) {
    return new Corrections("/home/alice/fixed.jsonl", "sha-fixed", by, "labels of refunds");
  }

  private static String refusal(Runnable update) {
    WorkflowUpdateException e = assertThrows(WorkflowUpdateException.class, update::run);
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage();
  }

  @Test
  void correctionsMakeANewVersionThatIsTrainedAndPromotedWithItsLineage() throws Exception {
    FineTunePipeline p = start("corrected", List.of());

    CorrectionRecord first = p.correct(file("alice"));
    CorrectionRecord second = p.correct(file("alice"));

    assertEquals(2, first.version());
    assertEquals(3, second.version());
    // Each version is made from the one before, with the spec's label schema.
    assertEquals("sha-train", activities.corrections.get(0).data().sha256());
    assertEquals("sha-corrected-v2", activities.corrections.get(1).data().sha256());
    assertEquals("/home/alice/fixed.jsonl", activities.corrections.get(0).path());
    assertEquals("sha-fixed", activities.corrections.get(0).sha256());
    assertEquals(List.of("category"), activities.corrections.get(0).outputFields());
    PipelineStatus s = p.status();
    assertEquals(Checkpoint.DATA_REVIEW, s.pendingCheckpoint(), "the review stays open");
    assertEquals(2, s.corrections().size());
    assertEquals("/store/lineage-v3", s.corrections().get(1).lineage().path());
    // Split with the same seed and profiled again: the report is the last version's.
    assertEquals("sha-corrected-v3", activities.splitRequests.get(2).data().sha256());
    assertEquals(7L, activities.splitRequests.get(2).seed());
    assertEquals("sha-corrected-v3", s.dataReport().flagged().name().replace("flagged-", ""));
    assertEquals(996, s.dataReport().rows());
    // Test rows unchanged: the baseline is not asked again.
    assertEquals(1, activities.evals.stream().filter(e -> e.data().name().equals("test")).count());
    assertEquals(0.60, second.baselineScore(), 1e-9);

    p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    assertEquals(Checkpoint.PROMOTION, p.waitUntilDecisionNeeded().pendingCheckpoint());
    p.decide(Decision.approve(Checkpoint.PROMOTION, "alice", null));
    PipelineStatus done = WorkflowStub.fromTyped(p).getResult(PipelineStatus.class);

    assertEquals(Outcome.PROMOTED, done.outcome());
    assertEquals(
        "train-sha-corrected-v3",
        activities.trainingFiles.get(0).train().name(),
        "the candidate trains on the corrected version's training split");
    assertEquals("sha-corrected-v3", activities.promotions.get(0).dataset().sha256());
    Histories.replayAndMaybeRecord(client, "corrected", "fine-tune-pipeline-corrected");
  }

  @Test
  void aChangedTestSetIsScoredAgainReusingTheBaselinesAnswers() {
    activities.correctionsChangeTestRows = true;
    FineTunePipeline p = start("test-rows", List.of());

    p.correct(file("alice"));

    List<EvalRequest> onTest =
        activities.evals.stream().filter(e -> e.data().name().startsWith("test")).toList();
    assertEquals(2, onTest.size(), onTest.toString());
    assertNull(onTest.get(0).answersFrom());
    assertEquals("test-sha-corrected-v2", onTest.get(1).data().name());
    assertEquals("local-large", onTest.get(1).model());
    assertEquals(
        "/store/predictions-local-large",
        onTest.get(1).answersFrom().path(),
        "the baseline's earlier answers are reused, not paid for twice");
    assertEquals("test-sha-corrected-v2", p.status().baseline().dataset());
  }

  @Test
  void refusedCorrectionsLeaveTheReviewAsItWasAndSayWhy() {
    FineTunePipeline p = start("refused", List.of("alice"));
    activities.refuseCorrections = "/home/alice/fixed.jsonl:3: field 'action': expected one of ...";

    String bad = refusal(() -> p.correct(file("alice")));
    String stranger = refusal(() -> p.correct(file("mallory")));
    String relative =
        refusal(() -> p.correct(new Corrections("fixed.jsonl", "sha", "alice", null)));

    assertTrue(bad.contains("fixed.jsonl:3: field 'action'"), bad);
    assertTrue(stranger.contains("'mallory' may not review this run"), stranger);
    assertTrue(relative.contains("absolute path"), relative);
    PipelineStatus s = p.status();
    assertTrue(s.corrections().isEmpty());
    assertEquals(1000, s.dataReport().rows(), "the report is still the imported data's");
    assertEquals(1, activities.corrections.size(), "validators refused the others before");

    p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    assertEquals(Checkpoint.PROMOTION, p.waitUntilDecisionNeeded().pendingCheckpoint());
    String late = refusal(() -> p.correct(file("alice")));
    assertTrue(late.contains("the data review is decided (approve by alice)"), late);
    assertEquals("sha-train", activities.trainingFiles.get(0).train().sha256());
  }

  @Test
  void suggestionsAnswerTheFlaggedRowsAndNewCorrectionsRetireThem() {
    activities.exactMatchByModel.put("local-xl", 0.75);
    FineTunePipeline p = start("suggested", List.of());

    Suggestions s = p.suggest(new SuggestionRequest("local-xl", null, "alice"));

    assertEquals("local-xl", s.model());
    assertEquals("local", s.provider());
    assertEquals("flagged-sha-train", s.flagged().name());
    EvalRequest asked = activities.evals.get(activities.evals.size() - 1);
    assertEquals("local-xl", asked.model());
    assertEquals("flagged-sha-train", asked.data().name());
    assertEquals(0.75, s.metrics().get("exact_match"), 1e-9);
    assertNotNull(p.status().suggestions());
    assertFalse(activities.calls.contains("applyCorrections v2"), "nothing applied by itself");
    String noModel = refusal(() -> p.suggest(new SuggestionRequest(" ", null, "alice")));
    assertTrue(noModel.contains("'model' is required"), noModel);

    p.correct(file("alice"));

    assertNull(p.status().suggestions(), "they answered the rows of the report before");
  }
}
