package io.finetune.workflows.pipeline;

import io.finetune.workflows.eval.JudgeActivities.Alignment;
import io.finetune.workflows.spec.PipelineSpec;
import java.util.Locale;

/**
 * The run's judge and whether it may gate promotion: only a judge whose agreement with people was
 * measured on at least {@link #MIN_ALIGNMENT_PAIRS} pairs, with Cohen's kappa at or above the
 * spec's floor. A judge refused as a gate still judges; its verdicts are informational.
 *
 * @param alignment its agreement with people (null: no alignment file)
 * @param gates whether it gates promotion (the spec asks, and it may)
 * @param refusal why the spec's {@code judge.gate} is refused (null: not refused, or not asked)
 */
public record JudgeStanding(
    String model, Alignment alignment, double minKappa, boolean gates, String refusal) {

  /** Fewer human-judged pairs than this say too little about a judge to trust it as a gate. */
  public static final int MIN_ALIGNMENT_PAIRS = 30;

  public static JudgeStanding of(PipelineSpec.Judge judge, Alignment alignment) {
    String refusal = null;
    if (judge.gate()) {
      if (alignment == null) {
        refusal =
            "it has no alignment file (judge.alignment): its agreement with people is unknown";
      } else if (alignment.pairs() < MIN_ALIGNMENT_PAIRS) {
        refusal =
            String.format(
                Locale.ROOT,
                "its alignment file has %d human-judged pairs, fewer than %d",
                alignment.pairs(),
                MIN_ALIGNMENT_PAIRS);
      } else if (alignment.kappa() < judge.minKappa()) {
        refusal =
            String.format(
                Locale.ROOT,
                "its Cohen's kappa with people is %.2f, below the floor judge.minKappa %.2f",
                alignment.kappa(),
                judge.minKappa());
      }
    }
    return new JudgeStanding(
        judge.model(), alignment, judge.minKappa(), judge.gate() && refusal == null, refusal);
  }

  /** E.g. {@code alignment: agreement 0.83, kappa 0.71 (floor 0.60)}, or that there is none. */
  public String alignmentSummary() {
    if (alignment == null) {
      return "alignment: not measured";
    }
    return String.format(
        Locale.ROOT,
        "alignment: agreement %.2f, kappa %.2f (floor %.2f)",
        alignment.agreement(),
        alignment.kappa(),
        minKappa);
  }
}
