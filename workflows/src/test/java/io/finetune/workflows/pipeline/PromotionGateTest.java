package io.finetune.workflows.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.eval.EvalActivities.Comparison;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.Intervals;
import io.finetune.workflows.eval.EvalActivities.Usage;
import io.finetune.workflows.spec.PipelineSpec.Target;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.spec.TargetReason;
import io.finetune.workflows.training.CandidateResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromotionGateTest {

  private static CandidateResult candidate(Size size, double exact, double category) {
    EvalResult test =
        new EvalResult(
            "ft:" + size,
            "test",
            100,
            100,
            Map.of("exact_match", exact, "field:category", category),
            null);
    return new CandidateResult(size, "base-" + size, "job-" + size, "ft:" + size, test, Map.of());
  }

  @Test
  void theBestByTheTargetMetricPassesWhenItBeatsTheBaseline() {
    List<CandidateResult> candidates =
        List.of(candidate(Size.SMALL, 0.80, 0.99), candidate(Size.MEDIUM, 0.92, 0.90));

    PromotionGate byExactMatch = PromotionGate.judge(candidates, "exact_match", 0.60);
    assertEquals(Size.MEDIUM, byExactMatch.best().size());
    assertEquals(0.92, byExactMatch.bestScore());
    assertTrue(byExactMatch.passed());

    PromotionGate byField = PromotionGate.judge(candidates, "field:category", 0.95);
    assertEquals(Size.SMALL, byField.best().size(), "ranked by the spec's metric, not by exact");
    assertTrue(byField.passed());
  }

  @Test
  void equalToTheBaselineIsNotBetterAndATieGoesToTheFirstTrained() {
    List<CandidateResult> candidates =
        List.of(candidate(Size.MEDIUM, 0.70, 0.7), candidate(Size.LARGE, 0.70, 0.7));

    PromotionGate gate = PromotionGate.judge(candidates, "exact_match", 0.70);

    assertEquals(Size.MEDIUM, gate.best().size());
    assertFalse(gate.passed(), "a candidate must beat the prompt, not match it");
  }

  @Test
  void aMissingMetricCountsAsZero() {
    PromotionGate gate =
        PromotionGate.judge(List.of(candidate(Size.SMALL, 0.9, 0.9)), "field:priority", 0.1);
    assertEquals(0.0, gate.bestScore());
    assertFalse(gate.passed());
  }

  @Test
  void thereIsNothingToJudgeWithoutCandidates() {
    assertThrows(
        IllegalArgumentException.class, () -> PromotionGate.judge(List.of(), "exact_match", 0));
  }

  private static EvalResult measured(String model, double exact, Double p95, Double costPer1k) {
    return new EvalResult(
        model,
        "test",
        100,
        100,
        Map.of("exact_match", exact),
        null,
        new Usage(100, p95 == null ? null : p95 / 2, p95, 5_000, 800, costPer1k));
  }

  private static CandidateResult measuredCandidate(
      Size size, double exact, Double p95, Double costPer1k) {
    return new CandidateResult(
        size,
        "base-" + size,
        "job-" + size,
        "ft:" + size,
        measured("ft:" + size, exact, p95, costPer1k),
        Map.of());
  }

  @Test
  void forLatencyTheFastestCandidateThatReachesTheTargetPassesWhenFasterThanTheBaseline() {
    Target target = new Target("exact_match", 0.85, TargetReason.LATENCY);
    EvalResult baseline = measured("large-prompted", 0.95, 40.0, 2.0);
    List<CandidateResult> candidates =
        List.of(
            measuredCandidate(Size.SMALL, 0.80, 5.0, 0.2), // fastest, but below the target
            measuredCandidate(Size.MEDIUM, 0.88, 12.0, 0.5),
            measuredCandidate(Size.LARGE, 0.97, 30.0, 1.5));

    PromotionGate gate = PromotionGate.judge(candidates, target, baseline);

    assertEquals(Size.MEDIUM, gate.best().size(), "quality must still reach the target");
    assertTrue(gate.passed());
    assertTrue(gate.verdict().contains("12.0 ms vs 40.0 ms"), gate.verdict());
  }

  @Test
  void forLatencyACandidateSlowerThanTheBaselineFailsTheGate() {
    Target target = new Target("exact_match", 0.85, TargetReason.LATENCY);
    PromotionGate gate =
        PromotionGate.judge(
            List.of(measuredCandidate(Size.LARGE, 0.97, 45.0, 1.0)),
            target,
            measured("prompted", 0.70, 40.0, 2.0));

    assertFalse(gate.passed(), "better quality does not pass a latency gate");
    assertTrue(gate.verdict().contains("NOT faster"), gate.verdict());
  }

  @Test
  void forCostTheCheapestQualifiedCandidateIsBestAndTheFirstTrainedWinsATie() {
    Target target = new Target("exact_match", 0.85, TargetReason.COST);
    EvalResult baseline = measured("prompted", 0.90, 40.0, 2.0);
    List<CandidateResult> candidates =
        List.of(
            measuredCandidate(Size.SMALL, 0.86, 9.0, 0.3),
            measuredCandidate(Size.MEDIUM, 0.86, 12.0, 0.3),
            measuredCandidate(Size.LARGE, 0.99, 30.0, 1.5));

    PromotionGate gate = PromotionGate.judge(candidates, target, baseline);

    assertEquals(Size.SMALL, gate.best().size());
    assertTrue(gate.passed());
    assertTrue(gate.verdict().contains("cheaper"), gate.verdict());
  }

  @Test
  void anUnknownCostFailsTheGateAndSaysWhy() {
    Target target = new Target("exact_match", 0.85, TargetReason.COST);
    PromotionGate noPrice =
        PromotionGate.judge(
            List.of(measuredCandidate(Size.SMALL, 0.95, 9.0, null)),
            target,
            measured("prompted", 0.90, 40.0, 2.0));
    assertFalse(noPrice.passed());
    assertTrue(noPrice.verdict().contains("known cost"), noPrice.verdict());

    PromotionGate noBaselinePrice =
        PromotionGate.judge(
            List.of(measuredCandidate(Size.SMALL, 0.95, 9.0, 0.2)),
            target,
            measured("prompted", 0.90, 40.0, null));
    assertFalse(noBaselinePrice.passed());
    assertTrue(noBaselinePrice.verdict().contains("unknown"), noBaselinePrice.verdict());
  }

  @Test
  void forQualityTheVerdictComparesWithTheBaseline() {
    Target target = new Target("exact_match", 0.99, TargetReason.QUALITY);
    PromotionGate gate =
        PromotionGate.judge(
            List.of(measuredCandidate(Size.SMALL, 0.92, 50.0, 3.0)),
            target,
            measured("prompted", 0.90, 40.0, 2.0));
    assertTrue(gate.passed(), "slower and dearer, but quality is the reason");
    assertEquals("small beats the prompt baseline: exact_match 0.920 vs 0.900", gate.verdict());
  }

  @Test
  void byIntervalTheLowerBoundMustClearTheMargin() {
    EvalResult baseline = measured("prompted", 0.90, 40.0, 2.0);
    EvalResult test =
        new EvalResult(
            "ft:small",
            "test",
            300,
            300,
            Map.of("exact_match", 0.93),
            null,
            null,
            new Intervals(
                "exact_match", 300, 0.90, 0.96, new Comparison("prompted", 0.03, 0.01, 0.05)));
    List<CandidateResult> candidates =
        List.of(new CandidateResult(Size.SMALL, "b", "j", "ft:small", test, Map.of()));

    assertTrue(
        PromotionGate.judge(
                candidates,
                new Target("exact_match", 0.99, TargetReason.QUALITY, 0),
                baseline,
                true)
            .passed());
    PromotionGate withMargin =
        PromotionGate.judge(
            candidates,
            new Target("exact_match", 0.99, TargetReason.QUALITY, 0.02),
            baseline,
            true);
    assertFalse(withMargin.passed(), "0.01 is not above a margin of 0.02");
    assertTrue(withMargin.verdict().contains("too small"), withMargin.verdict());
  }
}
