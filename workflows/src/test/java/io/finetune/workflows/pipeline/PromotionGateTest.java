package io.finetune.workflows.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.spec.Size;
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
}
