package io.finetune.activities.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.rollout.RolloutActivities.OnlineJudgment;
import io.finetune.workflows.rollout.RolloutActivities.Outcomes;
import io.finetune.workflows.rollout.RolloutActivities.Verdict;
import org.junit.jupiter.api.Test;

class SlowEvalVerdictTest {
  private static Outcomes outcomes(int version, long traces, long bad) {
    return new Outcomes(version, traces, 0, 0, bad, 0, 0, 0, bad, traces);
  }

  @Test
  void theSignTestMatchesTheBinomialTail() {
    // P(X >= 8 | n = 10, p = 0.5) = (45 + 10 + 1) / 1024
    assertEquals(56.0 / 1024, SlowEvalVerdict.signTest(8, 2), 1e-12);
    assertEquals(1.0, SlowEvalVerdict.signTest(0, 0));
  }

  @Test
  void theZScoreOfEqualRatesIsZero() {
    assertEquals(0, SlowEvalVerdict.zScore(outcomes(2, 100, 10), outcomes(1, 1000, 100)), 1e-12);
  }

  @Test
  void aJudgeThatPrefersTheStableVersionMakesTheCanaryWorse() {
    var e =
        SlowEvalVerdict.decide(
            outcomes(2, 100, 10),
            outcomes(1, 1000, 100),
            new OnlineJudgment("judge", 30, 3, 7, 20),
            50,
            0.05);
    assertEquals(Verdict.WORSE, e.verdict());
    assertTrue(e.pJudgeWorse() < 0.01, e.reason());
    assertTrue(e.reason().contains("stable 20"), e.reason());
  }
}
