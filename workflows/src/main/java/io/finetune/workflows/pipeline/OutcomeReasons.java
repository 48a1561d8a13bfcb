package io.finetune.workflows.pipeline;

import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.rollout.RolloutResult;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.TargetReason;
import io.finetune.workflows.training.CandidateResult;
import java.util.Locale;

/** The sentences a run ends with (and notes it makes), apart from the code that decides. */
final class OutcomeReasons {
  private OutcomeReasons() {}

  static String promptSufficient(PipelineSpec spec, double baseline) {
    return String.format(
        Locale.ROOT,
        "The prompt alone scores %s %.3f on the held-out test set, meeting the target %.3f:"
            + " fine-tuning is not needed for %s. Ship the prompt.",
        spec.target().metric(),
        baseline,
        spec.target().score(),
        spec.target().reason());
  }

  static String promptMeetsTargetAfterCorrections(PipelineSpec spec, double baseline, int version) {
    return String.format(
        Locale.ROOT,
        "On the corrected data (version %d) the prompt alone scores %s %.3f, meeting the target"
            + " %.3f: fine-tuning may not be needed (reject at data-review to ship the prompt).",
        version,
        spec.target().metric(),
        baseline,
        spec.target().score());
  }

  static String promptMeetsTargetButGoesOn(PipelineSpec spec, double baseline) {
    return String.format(
        Locale.ROOT,
        "The prompt alone meets the target (%s %.3f >= %.3f); fine-tuning goes on because"
            + " the spec's reason is %s.",
        spec.target().metric(),
        baseline,
        spec.target().score(),
        spec.target().reason());
  }

  static String rejectedData(DecisionRecord review) {
    return "Data rejected by " + review.by() + comment(review) + ". Nothing was trained.";
  }

  static String timedOut(PipelineSpec spec, Checkpoint checkpoint, String spent) {
    return String.format(
        Locale.ROOT,
        "No decision at %s within approval.timeout (%s): the run ended; %s.",
        checkpoint,
        duration(spec.approval().timeoutSeconds()),
        spent);
  }

  static String rejectedPromotion(CandidateResult best, DecisionRecord approval) {
    return "Promotion of "
        + best.modelId()
        + " rejected by "
        + approval.by()
        + comment(approval)
        + ".";
  }

  static String promoted(
      PipelineSpec spec,
      PromotionGate gate,
      ModelVersion promoted,
      double baseline,
      DecisionRecord approval) {
    return String.format(
        Locale.ROOT,
        "%s (%s) promoted as %s v%d: %s %.3f vs prompt baseline %.3f%s%s.",
        gate.best().modelId(),
        gate.best().label(),
        spec.name(),
        promoted.version(),
        spec.target().metric(),
        gate.bestScore(),
        baseline,
        spec.target().reason() == TargetReason.QUALITY || gate.verdict() == null
            ? ""
            : "; " + gate.verdict(),
        approval.override() ? " (gate overridden by " + approval.by() + ")" : "");
  }

  static String rolledOut(String promoted, RolloutResult rollout) {
    return promoted
        + " Rolled out after its canary: "
        + rollout.reason()
        + " ("
        + rollout.decidedBy()
        + ").";
  }

  static String rolledBack(ModelVersion promoted, RolloutResult rollout) {
    return String.format(
        Locale.ROOT,
        "%s v%d was promoted but rolled back; v%d serves: %s (%s).",
        promoted.name(),
        promoted.version(),
        rollout.serving(),
        rollout.reason(),
        rollout.decidedBy());
  }

  /** {@code 3d}, {@code 12h}, {@code 15m} or {@code 45s}: as a spec writes it. */
  static String duration(long seconds) {
    if (seconds % 86400 == 0) {
      return seconds / 86400 + "d";
    }
    if (seconds % 3600 == 0) {
      return seconds / 3600 + "h";
    }
    return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
  }

  private static String comment(DecisionRecord d) {
    return d.comment() == null || d.comment().isBlank() ? "" : " (\"" + d.comment() + "\")";
  }
}
