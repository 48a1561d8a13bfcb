package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.spec.SpecLoader;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import io.finetune.workflows.drift.DriftActivities.FieldDrift;
import io.finetune.workflows.drift.DriftResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.Intervals;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.pipeline.Stage;
import io.finetune.workflows.rollout.RolloutOutcome;
import io.finetune.workflows.rollout.RolloutResult;
import io.finetune.workflows.spec.EvalSetRole;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.training.CandidateResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo's summary on constructed results, for each kind of example. */
class DemoCommandTest {
  private static final Path EXAMPLES = Path.of("../examples");
  private static final ArtifactRef REPORT = new ArtifactRef("/tmp/drift.json", "x", 1);

  private final StringWriter text = new StringWriter();
  private final PrintWriter out = new PrintWriter(text, true);

  @Test
  void theCallLogSummaryShowsTheDateFieldsDriftAndTheRetrainedModelFixingIt() {
    PipelineSpec spec = spec("call-logs");
    DriftResult drift =
        drift(
            List.of(
                new FieldDrift(
                    "caller", "text", "domain AUC", 0.52, 0.75, false, "names like training"),
                new FieldDrift(
                    "callback_date",
                    "date",
                    "out-of-range rate",
                    0.96,
                    0.05,
                    true,
                    "years never seen in training: 2024 (48 of 50 rows)"),
                new FieldDrift("reason", "category", "label distance", 0.04, 0.10, false, "")),
            List.of(
                "callback_date out-of-range rate 0.960 > 0.050 (years never seen in training: 2024"
                    + " (48 of 50 rows))",
                "live exact_match 0.080 < 0.800"),
            Map.of("exact_match", 0.08));

    int exit =
        DemoCommand.summary(
            spec,
            pipeline("exact_match", 0.2, 0.95),
            true,
            drift,
            retrained("exact_match", 0.94),
            canaries(RolloutOutcome.ROLLED_BACK),
            -1,
            out);

    String s = text.toString();
    assertEquals(0, exit, s);
    assertTrue(
        s.contains(
            "drift: new-vocabulary rate 0.010 (max 0.050), live exact_match 0.080 (min 0.800)"
                + " -> DRIFT, retraining triggered"),
        s);
    assertTrue(
        s.contains(
            "  callback_date (date): out-of-range rate 0.960 (max 0.050) EXCEEDED - years never"
                + " seen in training: 2024 (48 of 50 rows)"),
        s);
    assertTrue(s.contains("  caller (text): domain AUC 0.520 (max 0.750) ok - names like"), s);
    assertTrue(s.contains("  reason (category): label distance 0.040 (max 0.100) ok\n"), s);
    assertTrue(s.contains("  exceeded: callback_date out-of-range rate 0.960 > 0.050"), s);
    assertTrue(s.contains("corner-cases"), "one column per eval set: " + s);
    assertTrue(s.contains("Demo finished: every stage did its job."), s);
  }

  @Test
  void aRetrainedModelNoBetterThanTheOneInProductionIsUnexpected() {
    PipelineSpec spec = spec("call-logs");
    DriftResult drift = drift(List.of(), List.of("live exact_match 0.080 < 0.800"), Map.of());
    int exit =
        DemoCommand.summary(
            spec,
            pipeline("exact_match", 0.2, 0.95),
            true,
            drift,
            retrained("exact_match", 0.08),
            canaries(RolloutOutcome.ROLLED_BACK),
            -1,
            out);
    assertEquals(1, exit, text.toString());
    assertTrue(
        text.toString().contains("do NOT beat the model in production on the fresh hold-out"));
  }

  @Test
  void aSkippedProductionStepIsSaidAndDoesNotFailTheDemo() {
    int exit =
        DemoCommand.summary(
            spec("ticket-triage"),
            pipeline("exact_match", 0.5, 0.94),
            true,
            drift(List.of(), List.of("new-vocabulary rate 0.176 > 0.050"), Map.of()),
            retrained("exact_match", 1.0),
            null,
            -1,
            out);
    String s = text.toString();
    assertTrue(s.contains("production: skipped (--no-production)"), s);
    assertFalse(s.contains("canary v"), s);
    assertEquals(0, exit, "skipped is no failure: " + s);
  }

  /** An older server's statistics: no per-field lines, one label distance as before. */
  @Test
  void statisticsWithoutFieldsShowTheLabelDistance() {
    PipelineSpec spec = spec("ticket-triage");
    DriftResult drift = drift(List.of(), List.of("new-vocabulary rate 0.176 > 0.050"), Map.of());
    DemoCommand.summary(
        spec,
        pipeline("exact_match", 0.5, 0.94),
        true,
        drift,
        retrained("exact_match", 1.0),
        canaries(RolloutOutcome.ROLLED_BACK),
        -1,
        out);
    String s = text.toString();
    assertTrue(
        s.contains(
            "drift: new-vocabulary rate 0.010 (max 0.050), label distance 0.208 (max 0.100),"
                + " live exact_match 0.500 (min 0.850) -> DRIFT"),
        s);
    assertFalse(s.contains("(max 0.050) ok"), s);
  }

  @Test
  void aFreeTextExampleWithoutABatchIsScoredByItsMetricAndChecksNoDrift() {
    PipelineSpec spec = spec("reply-drafts");
    int exit =
        DemoCommand.summary(
            spec,
            pipeline("chrf", 0.21, 0.97),
            false,
            null,
            null,
            canaries(RolloutOutcome.ROLLED_BACK),
            2,
            out);
    String s = text.toString();
    assertEquals(0, exit, s);
    assertTrue(s.contains("chrf (test)"), s);
    assertTrue(s.contains("drift: not checked, the example has no production batch"), s);
    assertTrue(s.contains("provider jobs: 2 for 2 candidates (one each)"), s);
  }

  @Test
  void aTextTasksLiveScoreIsItsTextExactMatch() {
    PipelineSpec spec = spec("reply-drafts");
    DriftResult drift = drift(List.of(), List.of(), Map.of("text_exact_match", 0.9));
    assertFalse(DemoCommand.driftSummary(spec, notDrifted(drift), out));
    assertTrue(text.toString().contains("live text_exact_match 0.900 (min 0.000) -> no drift"));
  }

  @Test
  void anUnknownExampleNamesTheExamples() {
    UserError e = assertThrows(UserError.class, () -> DemoCommand.exampleSpec(EXAMPLES, "nope"));
    assertTrue(e.getMessage().contains("call-logs, reply-drafts, ticket-triage"), e.getMessage());
    assertThrows(UserError.class, () -> DemoCommand.exampleSpec(EXAMPLES, "../examples"));
    assertEquals(
        EXAMPLES.resolve("call-logs/spec.yaml"), DemoCommand.exampleSpec(EXAMPLES, "call-logs"));
  }

  @Test
  void theBatchIsTheExamplesProductionFileIfItHasOne() {
    assertEquals(
        EXAMPLES.resolve("call-logs/production-2024.jsonl"),
        DemoCommand.productionBatch(EXAMPLES.resolve("call-logs")).orElseThrow());
    assertTrue(DemoCommand.productionBatch(EXAMPLES.resolve("reply-drafts")).isEmpty());
  }

  private static PipelineSpec spec(String example) {
    return SpecLoader.load(EXAMPLES.resolve(example).resolve("spec.yaml"));
  }

  private static EvalResult eval(String model, String metric, double score) {
    return new EvalResult(
        model,
        "test",
        100,
        100,
        Map.of(metric, score),
        null,
        null,
        new Intervals(metric, 100, score - 0.05, Math.min(1, score + 0.05), null),
        null);
  }

  private static CandidateResult candidate(
      Size size, EvalResult test, Map<String, EvalResult> sets) {
    return new CandidateResult(
        size,
        "local-" + size.id(),
        "job-" + size.id(),
        "ft:" + size.id(),
        test,
        sets,
        null,
        0.5,
        null,
        null);
  }

  private static PipelineStatus status(
      String metric, EvalResult baseline, List<CandidateResult> candidates, String best) {
    return new PipelineStatus(
        "demo",
        "demo",
        Stage.DONE,
        null,
        metric,
        0.9,
        null,
        baseline,
        Map.of("corner-cases", eval("local-large", metric, baseline.metrics().get(metric) / 2)),
        null,
        List.of(Size.SMALL, Size.MEDIUM),
        candidates,
        Map.of(),
        best,
        true,
        null,
        List.of(),
        List.of(),
        List.of(),
        Outcome.PROMOTED,
        "promoted",
        null);
  }

  private static PipelineStatus pipeline(String metric, double baseline, double tuned) {
    return status(
        metric,
        eval("local-large", metric, baseline),
        List.of(
            candidate(Size.SMALL, eval("ft:small", metric, tuned - 0.1), Map.of()),
            candidate(Size.MEDIUM, eval("ft:medium", metric, tuned), Map.of())),
        "ft:medium");
  }

  private static PipelineStatus retrained(String metric, double onFresh) {
    Map<String, EvalResult> fresh =
        Map.of(EvalSetRole.FRESH_HOLDOUT_NAME, eval("ft:medium", metric, onFresh));
    return status(
        metric,
        eval("local-large", metric, 0.2),
        List.of(
            candidate(Size.SMALL, eval("ft:small", metric, 0.8), fresh),
            candidate(Size.MEDIUM, eval("ft:medium", metric, 0.9), fresh)),
        "ft:medium");
  }

  private static DriftResult drift(
      List<FieldDrift> fields, List<String> exceeded, Map<String, Double> live) {
    return new DriftResult(
        "call-logs",
        1,
        "ft:medium",
        List.of("production-2024.jsonl"),
        new DriftStatistics(0.01, Map.of("reason", 0.04), 0.208, 250, 250, REPORT, fields),
        live.isEmpty() ? Map.of("exact_match", 0.5, "text_exact_match", 0.5) : live,
        exceeded,
        !exceeded.isEmpty(),
        "call-logs-retrain",
        200,
        Map.of("exact_match", 0.1),
        null);
  }

  private static DriftResult notDrifted(DriftResult d) {
    return new DriftResult(
        d.modelName(),
        d.modelVersion(),
        d.modelId(),
        d.batchFiles(),
        d.statistics(),
        d.liveMetrics(),
        List.of(),
        false,
        null,
        0,
        Map.of(),
        null);
  }

  /** The production step's two canaries: the worse one ended as {@code worse}, the rebuild out. */
  private static List<RolloutResult> canaries(RolloutOutcome worse) {
    return List.of(
        new RolloutResult("m", 2, 1, worse, 1, "worse", "slow eval", null),
        new RolloutResult("m", 3, 1, RolloutOutcome.ROLLED_OUT, 3, "no worse", "slow eval", null));
  }

  @Test
  void aWorseCanaryThatRollsOutIsUnexpected() {
    int exit =
        DemoCommand.summary(
            spec("reply-drafts"),
            pipeline("chrf", 0.21, 0.97),
            false,
            null,
            null,
            canaries(RolloutOutcome.ROLLED_OUT),
            2,
            out);
    assertEquals(1, exit, text.toString());
    assertTrue(text.toString().contains("the worse canary was NOT rolled back"), text.toString());
  }
}
