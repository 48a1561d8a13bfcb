package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.EvalActivities.Comparison;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.Usage;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.finetune.workflows.spec.PipelineSpec.Target;
import io.finetune.workflows.spec.TargetReason;
import io.finetune.workflows.training.CandidateResult;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Rules 7 and 10: which candidate is best, and whether it passes the gate. A person may still
 * approve one that does not; that is recorded as an override.
 *
 * <p>When quality is the reason to fine-tune, the best candidate has the highest target metric on
 * the test set (the first one trained wins a tie) and passes when it beats the prompt baseline: by
 * the lower bound of the paired difference's 95% interval, above the spec's margin, when the evals
 * were paired (else by the point estimate, as runs from before intervals did). When latency or cost
 * is the reason, quality must still reach the target, and among the candidates that reach it the
 * fastest (p95 latency) or cheapest (cost per 1,000 requests) is best; it passes when that figure
 * is below the baseline's.
 *
 * @param verdict why it passed or not, for people; null from the quality-only gate of old runs
 */
record PromotionGate(CandidateResult best, double bestScore, boolean passed, String verdict) {

  /** The gate of runs from before latency and cost were measured: quality alone. */
  static PromotionGate judge(List<CandidateResult> candidates, String metric, double baseline) {
    CandidateResult best = bestByQuality(candidates, metric);
    double bestScore = score(best, metric);
    return new PromotionGate(best, bestScore, bestScore > baseline, null);
  }

  static PromotionGate judge(List<CandidateResult> candidates, Target target, EvalResult baseline) {
    return judge(candidates, target, baseline, false);
  }

  /**
   * @param byInterval judge quality by the lower bound of the difference's 95% interval (when the
   *     candidate's eval was paired with the baseline's), not by the point estimate
   */
  static PromotionGate judge(
      List<CandidateResult> candidates, Target target, EvalResult baseline, boolean byInterval) {
    String metric = target.metric();
    double baselineScore = Scores.of(baseline.metrics(), metric);
    if (target.reason() == TargetReason.QUALITY) {
      CandidateResult best = bestByQuality(candidates, metric);
      double s = score(best, metric);
      Comparison vs =
          byInterval
                  && best.test().intervals() != null
                  && metric.equals(best.test().intervals().metric())
              ? best.test().intervals().vsReference()
              : null;
      boolean passed = vs != null ? vs.lo() > target.margin() : s > baselineScore;
      String verdict =
          String.format(
              Locale.ROOT,
              "%s %s the prompt baseline: %s %.3f vs %.3f",
              best.label(),
              passed ? "beats" : "does NOT beat",
              metric,
              s,
              baselineScore);
      if (vs != null) {
        verdict +=
            String.format(
                Locale.ROOT,
                ", difference %+.3f (95%% interval %+.3f to %+.3f over %d rows)%s",
                vs.difference(),
                vs.lo(),
                vs.hi(),
                best.test().intervals().rows(),
                passed
                    ? String.format(Locale.ROOT, " above the margin %.3f", target.margin())
                    : vs.hi() > target.margin()
                        ? String.format(
                            Locale.ROOT,
                            ": the test set is too small to tell it from the baseline by more"
                                + " than the margin %.3f",
                            target.margin())
                        : "");
      }
      return new PromotionGate(best, s, passed, verdict);
    }
    Figure figure = Figure.of(target.reason());
    Double baselineFigure = figure.of.apply(baseline.usage());
    List<CandidateResult> qualified =
        candidates.stream()
            .filter(c -> score(c, metric) >= target.score())
            .filter(c -> figure.of.apply(c.test().usage()) != null)
            .toList();
    if (qualified.isEmpty()) {
      CandidateResult best = bestByQuality(candidates, metric);
      return new PromotionGate(
          best,
          score(best, metric),
          false,
          String.format(
              Locale.ROOT,
              "no candidate reaches the target %s >= %.3f with a known %s (best: %s %.3f)",
              metric,
              target.score(),
              figure.name,
              best.label(),
              score(best, metric)));
    }
    CandidateResult best =
        qualified.stream()
            .min(
                Comparator.comparingDouble((CandidateResult c) -> figure.of.apply(c.test().usage()))
                    .thenComparing(c -> -score(c, metric))
                    .thenComparing(candidates::indexOf))
            .orElseThrow();
    double bestFigure = figure.of.apply(best.test().usage());
    boolean passed = baselineFigure != null && bestFigure < baselineFigure;
    String comparison =
        baselineFigure == null
            ? "the prompt baseline's " + figure.name + " is unknown"
            : String.format(
                Locale.ROOT,
                "%s %s vs %s for the prompt baseline",
                figure.name,
                figure.format(bestFigure),
                figure.format(baselineFigure));
    return new PromotionGate(
        best,
        score(best, metric),
        passed,
        String.format(
            Locale.ROOT,
            "%s reaches %s %.3f (target %.3f) and is %s: %s",
            best.label(),
            metric,
            score(best, metric),
            target.score(),
            passed ? figure.better : "NOT " + figure.better + " than the prompt baseline",
            comparison));
  }

  /**
   * This gate, also requiring of the best candidate that {@code judge} prefers it to the prompt
   * baseline (more wins than losses) when the judge may gate; a judge refused as a gate only adds
   * why to the verdict.
   */
  PromotionGate withJudge(JudgeStanding judge) {
    String said = verdict == null ? best.label() : verdict;
    if (!judge.gates()) {
      return judge.refusal() == null
          ? this
          : new PromotionGate(
              best,
              bestScore,
              passed,
              said + "; the judge " + judge.model() + " does not gate: " + judge.refusal());
    }
    JudgeResult j = best.judge();
    if (j == null) {
      return new PromotionGate(
          best,
          bestScore,
          false,
          said + "; the judge " + judge.model() + " gave no verdict on it, and it gates");
    }
    boolean preferred = j.wins() > j.losses();
    return new PromotionGate(
        best,
        bestScore,
        passed && preferred,
        String.format(
            Locale.ROOT,
            "%s; the judge %s %s it to the prompt baseline: %d wins, %d ties, %d losses",
            said,
            judge.model(),
            preferred ? "prefers" : "does NOT prefer",
            j.wins(),
            j.ties(),
            j.losses()));
  }

  static double score(CandidateResult c, String metric) {
    return Scores.of(c.test().metrics(), metric);
  }

  private static CandidateResult bestByQuality(List<CandidateResult> candidates, String metric) {
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("no candidate to judge");
    }
    return candidates.stream()
        .max(
            Comparator.comparingDouble((CandidateResult c) -> score(c, metric))
                .thenComparing(c -> -candidates.indexOf(c)))
        .orElseThrow();
  }

  /** The figure a latency or cost gate compares; null when an eval did not measure it. */
  @SuppressWarnings("ImmutableEnumChecker") // its functions are stateless lambdas
  private enum Figure {
    LATENCY("p95 latency", "faster", u -> u == null ? null : u.latencyP95Millis()),
    COST("cost per 1,000 requests", "cheaper", u -> u == null ? null : u.costPer1kRequests());

    final String name;
    final String better;
    final Function<Usage, Double> of;

    Figure(String name, String better, Function<Usage, Double> of) {
      this.name = name;
      this.better = better;
      this.of = of;
    }

    static Figure of(TargetReason reason) {
      return reason == TargetReason.LATENCY ? LATENCY : COST;
    }

    String format(double v) {
      return this == LATENCY
          ? String.format(Locale.ROOT, "%.1f ms", v)
          : String.format(Locale.ROOT, "$%.4f", v);
    }
  }
}
