package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.Scores;
import io.finetune.workflows.training.CandidateResult;
import java.util.Comparator;
import java.util.List;

/**
 * Rules 7 and 10: the best candidate is the one with the highest target metric on the test set (the
 * first one trained wins a tie), and it passes the gate only when it beats the prompt baseline. A
 * person may still approve one that does not; that is recorded as an override.
 */
record PromotionGate(CandidateResult best, double bestScore, boolean passed) {

  static PromotionGate judge(List<CandidateResult> candidates, String metric, double baseline) {
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("no candidate to judge");
    }
    CandidateResult best =
        candidates.stream()
            .max(
                Comparator.comparingDouble((CandidateResult c) -> score(c, metric))
                    .thenComparing(c -> -candidates.indexOf(c)))
            .orElseThrow();
    double bestScore = score(best, metric);
    return new PromotionGate(best, bestScore, bestScore > baseline);
  }

  static double score(CandidateResult c, String metric) {
    return Scores.of(c.test().metrics(), metric);
  }
}
