package io.finetune.workflows.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.dataset.DatasetActivities.SplitRequest;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.RunComparison;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EvalRunTest {
  private TestWorkflowEnvironment env;
  private FakeActivities activities;
  private WorkflowClient client;

  @BeforeEach
  void setUp() {
    activities = new FakeActivities();
    activities.exactMatchByModel.put("local-large", 0.60);
    activities.exactMatchByModel.put("local-small", 0.45);
    env = activities.startEnvironment();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private static PipelineSpec spec() {
    return FakeActivities.spec(List.of(Size.SMALL), List.of());
  }

  /** The example spec with a judge whose agreement with people is measured first. */
  private static PipelineSpec judged() {
    PipelineSpec s = spec();
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
        new PipelineSpec.Judge(
            "local-judge", null, "The right category.", 200, "/data/alignment.jsonl", 0.6, false),
        s.task());
  }

  private EvalRunResult run(String id, EvalRunInput input) {
    EvalRun run =
        client.newWorkflowStub(
            EvalRun.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    return run.run(input);
  }

  private List<EvalRequest> evalsOf(String model) {
    return activities.evals.stream().filter(r -> r.model().equals(model)).toList();
  }

  @Test
  void evaluatesTheModelOnTheTestSetAndEveryEvalSetSplitAsThePipelineSplits() throws Exception {
    EvalRunResult r = run("eval-one", new EvalRunInput(spec(), "local-large", null, null));

    assertEquals("triage", r.specName());
    assertEquals("exact_match", r.metric());
    assertEquals("test", r.test().name());
    assertEquals(0.60, r.modelTest().metrics().get("exact_match"));
    assertEquals(List.of("corner-cases"), List.copyOf(r.modelEvalSets().keySet()));
    assertNull(r.againstTest());
    assertTrue(r.againstEvalSets().isEmpty());
    assertNull(r.judge());
    assertTrue(r.notes().isEmpty(), r.notes().toString());
    assertEquals(
        List.of("import train", "import corner-cases", "split"),
        activities.calls.subList(0, 3),
        "the pipeline's imports and split, in its order");
    SplitRequest split = activities.splitRequests.get(0);
    assertEquals(0.1, split.testFraction());
    assertEquals(7L, split.seed());
    assertEquals(0.0, split.validationFraction(), "no validation set: nothing trains");
    // Every eval: the spec's prompt, an interval of its metric, tracked under the model's id.
    List<EvalRequest> evals = evalsOf("local-large");
    assertEquals(2, evals.size());
    for (EvalRequest e : evals) {
      assertEquals("local", e.provider());
      assertEquals("Classify.", e.prompt());
      assertEquals("exact_match", e.keyMetric());
      assertNull(e.pairedWith());
      assertEquals("triage", e.specName());
      assertEquals("local-large", e.label());
    }
    Histories.replayAndMaybeRecord(client, "eval-one", "eval-run");
  }

  @Test
  void theSameSpecSplitsTheSameWayInAPipelineAndInAnEval() {
    activities.exactMatchByModel.put("local-large", 0.95); // the pipeline stops after its baseline
    PipelineSpec s = spec();
    FineTunePipeline p =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("pipeline-split")
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    assertEquals(Outcome.PROMPT_SUFFICIENT, p.run(new PipelineInput(s, "test")).outcome());
    run("eval-split", new EvalRunInput(s, "local-large", null, null));

    SplitRequest pipeline = activities.splitRequests.get(0);
    SplitRequest eval = activities.splitRequests.get(1);
    assertEquals(pipeline.data(), eval.data());
    assertEquals(pipeline.testFraction(), eval.testFraction());
    assertEquals(pipeline.seed(), eval.seed());
    assertEquals(pipeline.evalSets(), eval.evalSets());
    // The pipeline's baseline is tracked as `eval --model` tracks the same model: they line up.
    List<EvalRequest> baseline = evalsOf("local-large");
    assertEquals(4, baseline.size());
    assertTrue(
        baseline.stream()
            .allMatch(e -> "triage".equals(e.specName()) && "local-large".equals(e.label())),
        baseline.toString());
  }

  @Test
  void againstASecondModelEverySetIsPairedAndTheJudgeComparesTheTwo() throws Exception {
    activities.judgeByModel.put("local-large", new int[] {30, 15, 5});
    EvalRunResult r =
        run("eval-against", new EvalRunInput(judged(), "local-large", "local-small", null));

    // The second model first, then the model paired with it on each set.
    List<String> evaluated =
        activities.calls.stream().filter(c -> c.startsWith("evaluate ")).toList();
    assertEquals(4, evaluated.size(), evaluated.toString());
    assertTrue(
        evaluated.subList(0, 2).stream().allMatch(c -> c.startsWith("evaluate local-small ")),
        evaluated.toString());
    assertTrue(
        evaluated.subList(2, 4).stream().allMatch(c -> c.startsWith("evaluate local-large ")),
        evaluated.toString());
    for (EvalRequest e : evalsOf("local-large")) {
      assertEquals("local-small", e.pairedModel());
      assertEquals(
          new ArtifactRef("/store/predictions-local-small", "sha-predictions-local-small", 10),
          e.pairedWith());
    }
    for (EvalRequest e : evalsOf("local-small")) {
      assertNull(e.pairedWith());
      assertEquals("local-small", e.label(), "each model is tracked under its own id");
    }
    EvalActivities.Comparison vs = r.modelTest().intervals().vsReference();
    assertEquals("local-small", vs.model());
    assertEquals(0.15, vs.difference(), 1e-9);
    assertEquals(0.45, r.againstTest().metrics().get("exact_match"));
    assertEquals(List.of("corner-cases"), List.copyOf(r.againstEvalSets().keySet()));

    assertEquals(
        List.of("alignment /data/alignment.jsonl", "judge local-large"),
        activities.calls.stream()
            .filter(c -> c.startsWith("alignment") || c.startsWith("judge"))
            .toList());
    JudgeActivities.JudgeRequest j = activities.judgeRequests.get(0);
    assertEquals("local-judge", j.judgeModel());
    assertEquals("local-large", j.candidateModel());
    assertEquals("/store/predictions-local-large", j.candidatePredictions().path());
    assertEquals("local-small", j.baselineModel());
    assertEquals("/store/predictions-local-small", j.baselinePredictions().path());
    assertEquals("test", j.test().name());
    assertEquals(200, j.maxPairs());
    assertEquals(30, r.judge().wins());
    assertEquals(5, r.judge().losses());
    assertEquals(0.8, r.judgeStanding().alignment().kappa(), 1e-9);
    assertTrue(r.notes().isEmpty(), r.notes().toString());
    Histories.replayAndMaybeRecord(client, "eval-against", "eval-run-against-judged");
  }

  @Test
  void eachEvalBringsBackItsComparisonWithThePreviousRun() {
    RunComparison previous =
        new RunComparison(
            "eval-before",
            "run-1",
            1_700_000_000_000L,
            "local-large",
            true,
            "exact_match",
            100,
            0.55,
            0.60,
            0.05,
            -0.01,
            0.11,
            4,
            9,
            new ArtifactRef("/store/changed-rows.jsonl", "sha-changed", 100));
    activities.previousRunByLabel.put("local-large", previous);

    EvalRunResult r = run("eval-rerun", new EvalRunInput(spec(), "local-large", null, null));

    assertEquals(previous, r.modelTest().previousRun());
    assertEquals(previous, r.modelEvalSets().get("corner-cases").previousRun());
  }

  @Test
  void withoutASecondModelTheJudgeIsNotRunAndANoteSaysWhy() {
    EvalRunResult r = run("eval-no-against", new EvalRunInput(judged(), "local-large", null, null));

    assertNull(r.judge());
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("judge")));
    assertEquals(
        List.of(
            "judge local-judge not run: it compares two models' answers; add --against to compare"
                + " with one"),
        r.notes());
  }

  @Test
  void aJudgeThatRefusesGivesNoVerdictAndTheScoresStand() {
    // A judge of the evaluated model's own family is refused by the judge activity.
    EvalRunResult r =
        run("eval-own-family", new EvalRunInput(judged(), "local-judge", "local-small", null));

    assertNull(r.judge());
    assertEquals(0.5, r.modelTest().metrics().get("exact_match"));
    assertEquals(1, r.notes().size(), r.notes().toString());
    assertTrue(
        r.notes().get(0).startsWith("judge local-judge gave no verdict: judge local-judge is of"),
        r.notes().toString());
  }

  @Test
  void theProviderSpecifiedOnTheRunServesBothModels() {
    run("eval-provider", new EvalRunInput(spec(), "local-large", "local-small", "vllm"));
    assertTrue(activities.evals.stream().allMatch(e -> e.provider().equals("vllm")));
  }

  @Test
  void aModelTheProviderDoesNotKnowFailsTheRunWithTheProvidersMessage() {
    activities.unknownModels.add("local-huge");
    var e =
        assertThrows(
            WorkflowFailedException.class,
            () -> run("eval-unknown", new EvalRunInput(spec(), "local-huge", null, null)));
    ApplicationFailure cause = (ApplicationFailure) e.getCause().getCause();
    assertEquals(Failures.PROVIDER_REJECTED, cause.getType());
    assertEquals(
        "Provider 'local' answered 404 to POST /chat/completions: The model 'local-huge' does not"
            + " exist",
        cause.getOriginalMessage());
  }

  @Test
  void aModelAgainstItselfIsRefusedBeforeAnythingRuns() {
    var e =
        assertThrows(
            WorkflowFailedException.class,
            () -> run("eval-self", new EvalRunInput(spec(), "local-large", "local-large", null)));
    ApplicationFailure cause = (ApplicationFailure) e.getCause();
    assertEquals(Failures.INVALID_INPUT, cause.getType());
    assertTrue(cause.getOriginalMessage().contains("--against names the model being evaluated"));
    assertTrue(activities.calls.isEmpty(), activities.calls.toString());
  }
}
