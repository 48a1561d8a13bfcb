package io.finetune.activities.rollout;

import io.finetune.workflows.rollout.RolloutActivities.OnlineJudgment;
import io.finetune.workflows.rollout.RolloutActivities.Outcomes;
import io.finetune.workflows.rollout.RolloutActivities.SlowEval;
import io.finetune.workflows.rollout.RolloutActivities.Verdict;
import java.util.Locale;
import org.apache.commons.math3.distribution.BinomialDistribution;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * The slow eval's decision from the figures: the canary's bad-outcome rate against the stable
 * version's by a one-sided two-proportion z-test, and the online judge's wins and losses by a sign
 * test. Worse when either is significant at {@code maxPValue}; too few when the canary has fewer
 * outcomes (feedback, failures and judged pairs) than {@code minEvents}.
 */
final class SlowEvalVerdict {
  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

  private SlowEvalVerdict() {}

  static SlowEval decide(
      Outcomes canary, Outcomes stable, OnlineJudgment judge, int minEvents, double maxPValue) {
    double z = zScore(canary, stable);
    double pWorse = 1 - NORMAL.cumulativeProbability(z);
    double pBetter = NORMAL.cumulativeProbability(z);
    double pJudgeWorse = judge == null ? 1 : signTest(judge.losses(), judge.wins());
    long events = canary.events() + (judge == null ? 0 : judge.sampled());
    String figures =
        String.format(
                Locale.ROOT,
                "bad outcomes %d/%d (%.1f%%) on the canary v%d vs %d/%d (%.1f%%) on v%d, p=%.3g",
                canary.bad(),
                canary.traces(),
                100 * canary.badRate(),
                canary.version(),
                stable.bad(),
                stable.traces(),
                100 * stable.badRate(),
                stable.version(),
                Math.min(pWorse, pBetter))
            + (judge == null
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; judge %s: canary preferred %d, stable %d, ties %d (p=%.3g)",
                    judge.judgeModel(),
                    judge.wins(),
                    judge.losses(),
                    judge.ties(),
                    pJudgeWorse));
    Verdict verdict;
    String reason;
    if (events < minEvents) {
      verdict = Verdict.TOO_FEW;
      reason =
          String.format(
              Locale.ROOT,
              "%d outcomes on the canary, fewer than %d; %s",
              events,
              minEvents,
              figures);
    } else if (pWorse < maxPValue || pJudgeWorse < maxPValue) {
      verdict = Verdict.WORSE;
      reason = figures + String.format(Locale.ROOT, " < %.3g", maxPValue);
    } else if (pBetter < maxPValue) {
      verdict = Verdict.BETTER;
      reason = figures;
    } else {
      verdict = Verdict.NO_WORSE;
      reason = figures;
    }
    return new SlowEval(canary, stable, judge, pWorse, pBetter, pJudgeWorse, verdict, reason);
  }

  /** How many standard errors the canary's bad rate is above the stable version's (pooled). */
  static double zScore(Outcomes canary, Outcomes stable) {
    if (canary.traces() == 0 || stable.traces() == 0) {
      return 0;
    }
    double pooled = (double) (canary.bad() + stable.bad()) / (canary.traces() + stable.traces());
    double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / canary.traces() + 1.0 / stable.traces()));
    return se == 0 ? 0 : (canary.badRate() - stable.badRate()) / se;
  }

  /** P(at least {@code losses} of the decided pairs are losses) when both are equally likely. */
  static double signTest(int losses, int wins) {
    int n = losses + wins;
    if (n == 0) {
      return 1;
    }
    return 1 - new BinomialDistribution(null, n, 0.5).cumulativeProbability(losses - 1);
  }
}
