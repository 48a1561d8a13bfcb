package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.spec.SpecLoader;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.drift.DriftCheck;
import io.finetune.workflows.drift.DriftCheckInput;
import io.finetune.workflows.drift.DriftResult;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.spec.TargetReason;
import io.finetune.workflows.training.CandidateResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The real worker (Spring wiring, real activities, embedded local provider) on the starter's
 * in-process test server: the example runs through both checkpoints, gets promoted, and the drifted
 * batch triggers retraining. The histories it makes replay against the current code, and with
 * -Dfinetune.recordHistories=true they are written to the replay test's resources.
 */
@SpringBootTest(
    properties = {
      "spring.temporal.test-server.enabled=true",
      "spring.temporal.connection.target=local",
      "finetune.home=${java.io.tmpdir}/finetune-worker-test-${random.uuid}"
    })
class WholeLifecycleTest {
  private static final Path EXAMPLE = Path.of("../examples/ticket-triage");
  private static final Path HISTORIES = Path.of("../workflows/src/test/resources/histories");

  @Autowired WorkflowClient client;

  @Autowired TestWorkflowEnvironment testServer;

  /** As `./finetune setup` does on a real server: the workflows set these. */
  @BeforeEach
  void registerSearchAttributes() {
    FinetuneSearchAttributes.definitions().forEach(testServer::registerSearchAttribute);
  }

  @Test
  void exampleRunsThroughBothCheckpointsAndDriftTriggersRetraining() throws Exception {
    PipelineSpec example = SpecLoader.load(EXAMPLE.resolve("spec.yaml"));
    PipelineSpec spec = example.withSizes(List.of(Size.SMALL, Size.MEDIUM));

    PipelineStatus done = approveAll(start("lifecycle", spec), "alice");

    assertEquals(Outcome.PROMOTED, done.outcome(), done.outcomeReason());
    double baseline = Scores.of(done.baseline().metrics(), Scores.EXACT_MATCH);
    CandidateResult small = done.candidates().get(0);
    CandidateResult medium = done.candidates().get(1);
    assertTrue(baseline > 0.3 && baseline < 0.9, "baseline " + baseline);
    assertTrue(Scores.of(medium.test().metrics(), Scores.EXACT_MATCH) > baseline);
    assertTrue(
        Scores.of(medium.test().metrics(), Scores.EXACT_MATCH)
            >= Scores.of(small.test().metrics(), Scores.EXACT_MATCH));
    assertEquals(done.bestModel(), done.promoted().modelId());
    assertTrue(Files.exists(Path.of(done.dataReport().markdown().path())));
    assertEquals(0, done.split().trainTestLeaks());

    DriftCheck drift =
        client.newWorkflowStub(
            DriftCheck.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("drift")
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    DriftResult r =
        drift.check(
            new DriftCheckInput(
                spec.name(),
                EXAMPLE.resolve("production-2024.jsonl").toAbsolutePath().toString(),
                true));
    assertTrue(r.drifted(), r.exceeded().toString());
    // New words, each category field's labels (one line a field, by its type) and live accuracy.
    assertEquals(4, r.exceeded().size(), r.exceeded().toString());
    assertTrue(r.exceeded().get(1).startsWith("category label distance"), r.exceeded().get(1));
    assertTrue(r.exceeded().get(2).startsWith("priority label distance"), r.exceeded().get(2));
    assertNotNull(r.retrainWorkflowId());

    // The retraining run is approved the Web UI's way: by signals, the promotion one early.
    FineTunePipeline retrain =
        client.newWorkflowStub(FineTunePipeline.class, r.retrainWorkflowId());
    retrain.decision(Decision.approve(Checkpoint.PROMOTION, "bob", "early"));
    awaitCheckpoint(retrain, Checkpoint.DATA_REVIEW);
    retrain.decision(Decision.approve(Checkpoint.DATA_REVIEW, "bob", null));
    PipelineStatus retrained = WorkflowStub.fromTyped(retrain).getResult(PipelineStatus.class);
    assertEquals(
        List.of("signal", "signal"),
        retrained.decisions().stream().map(d -> d.via().id()).toList());
    assertEquals(Outcome.PROMOTED, retrained.outcome());
    assertEquals(2, retrained.promoted().version());
    assertSealed(done);
    assertSealed(retrained);
    assertTrue(
        retrained.promoted().spec().evalSets().stream()
            .anyMatch(s -> s.name().equals("fresh-holdout")));
    // The fresh hold-out is sealed at its source: the retraining data has none of its inputs.
    assertEquals(0, retrained.split().keptOutOfTraining().get("fresh-holdout"));
    double before = Scores.of(r.currentModelOnFreshHoldout(), Scores.EXACT_MATCH);
    double after =
        Scores.of(
            retrained.candidates().get(1).evalSets().get("fresh-holdout").metrics(),
            Scores.EXACT_MATCH);
    assertTrue(after > before, "retrained " + after + " vs before " + before);

    replayAndMaybeRecord("lifecycle", "fine-tune-pipeline");
    replayAndMaybeRecord("lifecycle-train-small", "train-candidate");
    replayAndMaybeRecord("drift", "drift-check");
    replayAndMaybeRecord(r.retrainWorkflowId(), "fine-tune-pipeline-signals");
  }

  @Test
  void aRejectedRunAndAGoodEnoughPromptEndWithoutTraining() throws Exception {
    PipelineSpec example = SpecLoader.load(EXAMPLE.resolve("spec.yaml"));
    FineTunePipeline rejected = start("rejected", example);
    awaitCheckpoint(rejected, Checkpoint.DATA_REVIEW);
    rejected.decide(Decision.reject(Checkpoint.DATA_REVIEW, "alice", "stale"));
    PipelineStatus r = WorkflowStub.fromTyped(rejected).getResult(PipelineStatus.class);
    assertEquals(Outcome.REJECTED_AT_DATA_REVIEW, r.outcome());
    assertTrue(r.candidates().isEmpty());

    PipelineSpec easy =
        example.withTarget(new PipelineSpec.Target("exact_match", 0.3, TargetReason.QUALITY));
    PipelineStatus sufficient =
        WorkflowStub.fromTyped(start("sufficient", easy)).getResult(PipelineStatus.class);
    assertEquals(Outcome.PROMPT_SUFFICIENT, sufficient.outcome());
    assertTrue(sufficient.outcomeReason().contains("Ship the prompt"), sufficient.outcomeReason());
    assertTrue(sufficient.candidates().isEmpty());

    replayAndMaybeRecord("rejected", "fine-tune-pipeline-rejected");
    replayAndMaybeRecord("sufficient", "fine-tune-pipeline-prompt-sufficient");
  }

  /**
   * A chat-format text task: canned answers to a few kinds of question, asked after a greeting. The
   * base model can only echo the question; the tuned one has learned the answers.
   */
  @Test
  void aChatFormatTextTaskIsTunedPastItsPromptBaseline(@TempDir Path dir) throws Exception {
    Map<String, String> answers =
        Map.of(
            "password", "Open Settings, then Security, and choose Reset password.",
            "refund", "Refunds reach your card within five business days.",
            "invoice", "Invoices are under Billing, then History, as PDF files.",
            "delivery", "Orders ship within two days and arrive in about a week.",
            "cancel", "Cancel any time under Account, then Subscription.");
    Map<String, List<String>> asks =
        Map.of(
            "password", List.of("How do I reset my password?", "I forgot my password."),
            "refund", List.of("When do I get my refund?", "Where is my refund?"),
            "invoice", List.of("Where can I find my invoice?", "I need an invoice copy."),
            "delivery", List.of("When will my order arrive?", "How long is delivery?"),
            "cancel", List.of("How do I cancel my plan?", "I want to cancel."));
    List<String> topics = List.copyOf(new java.util.TreeSet<>(answers.keySet()));
    java.util.Random random = new java.util.Random(7);
    ObjectMapper json = new ObjectMapper();
    List<String> lines = new java.util.ArrayList<>();
    for (int i = 0; i < 150; i++) {
      String topic = topics.get(random.nextInt(topics.size()));
      String ask = asks.get(topic).get(random.nextInt(2));
      ObjectNode row = json.createObjectNode();
      ArrayNode messages = row.putArray("messages");
      messages.addObject().put("role", "system").put("content", "You answer customers briefly.");
      messages.addObject().put("role", "user").put("content", "Hi, this is customer " + i + ".");
      messages.addObject().put("role", "assistant").put("content", "Hello! How can I help?");
      messages
          .addObject()
          .put("role", "user")
          .put("content", ask + " My account is number " + (1000 + i) + ".");
      messages.addObject().put("role", "assistant").put("content", answers.get(topic));
      lines.add(json.writeValueAsString(row));
    }
    Files.write(dir.resolve("faq.jsonl"), lines);
    Files.writeString(
        dir.resolve("spec.yaml"),
        """
        name: faq
        task: text
        dataset:
          path: faq.jsonl
        prompt: "Answer the customer's question."
        target:
          score: 0.9
        model:
          sizes: [small]
        """);
    PipelineSpec spec = SpecLoader.load(dir.resolve("spec.yaml"));

    PipelineStatus done = approveAll(start("faq", spec), "alice");

    assertEquals(Outcome.PROMOTED, done.outcome(), done.outcomeReason());
    double baseline = Scores.of(done.baseline().metrics(), Scores.CHRF);
    double tuned = Scores.of(done.candidates().get(0).test().metrics(), Scores.CHRF);
    assertTrue(baseline < 0.5, "baseline chrF " + baseline);
    assertTrue(tuned > 0.9, "tuned chrF " + tuned + " vs baseline " + baseline);
    assertTrue(Scores.of(done.candidates().get(0).test().metrics(), Scores.TEXT_EXACT_MATCH) > 0.9);
    // The interval of the per-row chrF, and the paired difference to the baseline.
    var intervals = done.candidates().get(0).test().intervals();
    assertEquals(Scores.CHRF, intervals.metric());
    assertTrue(intervals.vsReference().lo() > 0.3, intervals.toString());
    replayAndMaybeRecord("faq", "fine-tune-pipeline-text-task");
  }

  /**
   * No normalized input of the test set or of an eval set (the fresh hold-out of a retraining
   * included) is in the run's training or validation file, and the data report warns of no leak.
   */
  private static void assertSealed(PipelineStatus run) throws Exception {
    Set<String> sealed = inputs(run.split().test().path(), "input");
    for (PipelineSpec.EvalSet set : run.promoted().spec().evalSets()) {
      Set<String> inputs =
          inputs(set.path(), set.inputField() == null ? "input" : set.inputField());
      assertFalse(inputs.isEmpty(), set.name());
      sealed.addAll(inputs);
    }
    Set<String> trained = inputs(run.split().train().path(), "input");
    if (run.split().validation() != null) {
      trained.addAll(inputs(run.split().validation().path(), "input"));
    }
    trained.retainAll(sealed);
    assertEquals(Set.of(), trained, "inputs of the test or an eval set trained on");
    assertEquals(0, run.split().trainTestLeaks());
    run.split().evalSetLeaks().forEach((set, n) -> assertEquals(0, n, set));
    assertTrue(
        run.dataReport().warnings().stream().noneMatch(w -> w.contains("also occur in")),
        run.dataReport().warnings().toString());
  }

  private static Set<String> inputs(String path, String field) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Set<String> out = new HashSet<>();
    for (String line : Files.readAllLines(Path.of(path))) {
      if (!line.isBlank()) {
        out.add(Rows.normalize(json.readTree(line).path(field).asText()));
      }
    }
    return out;
  }

  private FineTunePipeline start(String id, PipelineSpec spec) {
    FineTunePipeline pipeline =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    WorkflowClient.start(pipeline::run, new PipelineInput(spec, "test"));
    return pipeline;
  }

  /** Waits for the run to need a decision at {@code checkpoint}; fails if it needs another. */
  private static void awaitCheckpoint(FineTunePipeline pipeline, Checkpoint checkpoint) {
    PipelineStatus s = pipeline.waitUntilDecisionNeeded();
    assertEquals(checkpoint, s.pendingCheckpoint(), "stage " + s.stage() + ": " + s.outcome());
  }

  private PipelineStatus approveAll(FineTunePipeline pipeline, String who) throws Exception {
    for (Checkpoint checkpoint : List.of(Checkpoint.DATA_REVIEW, Checkpoint.PROMOTION)) {
      awaitCheckpoint(pipeline, checkpoint);
      pipeline.decide(Decision.approve(checkpoint, who, "looks good"));
    }
    return WorkflowStub.fromTyped(pipeline).getResult(PipelineStatus.class);
  }

  private void replayAndMaybeRecord(String workflowId, String what) throws Exception {
    Histories.replayAndMaybeRecord(client, HISTORIES, workflowId, what);
  }
}
