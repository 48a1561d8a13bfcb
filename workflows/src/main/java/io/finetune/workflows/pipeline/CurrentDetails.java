package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.EvalActivities.Usage;
import io.finetune.workflows.rollout.Rollout;
import io.finetune.workflows.training.CandidateResult;
import java.util.Locale;

/**
 * The Markdown a pipeline shows as "current details" in the Temporal Web UI: where it is, the
 * scores so far, and how to decide when a checkpoint is open. Pure function of the status.
 */
final class CurrentDetails {
  private CurrentDetails() {}

  static String of(String workflowId, PipelineStatus s) {
    StringBuilder md = new StringBuilder();
    md.append("**").append(s.name()).append("**: stage `").append(s.stage()).append('`');
    if (s.pendingCheckpoint() != null) {
      md.append(", waiting for **").append(s.pendingCheckpoint()).append("**");
    }
    md.append("\n\n");
    if (s.baseline() != null) {
      md.append(
          String.format(
              Locale.ROOT,
              "Prompt baseline: %s %.3f (target %.3f)%n%n",
              s.targetMetric(),
              Scores.of(s.baseline().metrics(), s.targetMetric()),
              s.targetScore()));
    }
    for (CandidateResult c : s.candidates()) {
      md.append(
          String.format(
              Locale.ROOT,
              "- %s `%s`: %s %.3f%s%s%n",
              c.label(),
              c.modelId(),
              s.targetMetric(),
              Scores.of(c.test().metrics(), s.targetMetric()),
              usage(c.test().usage()),
              c.modelId().equals(s.bestModel()) ? " (best)" : ""));
    }
    if (!s.candidates().isEmpty()) {
      md.append('\n');
    }
    if (s.gateVerdict() != null) {
      md.append("Gate: ").append(s.gateVerdict()).append("\n\n");
    }
    if (s.dataReport() != null && s.pendingCheckpoint() != null) {
      md.append("Data report: `").append(s.dataReport().markdown().path()).append('`');
      if (s.dataReport().html() != null) {
        md.append(", with charts: `").append(s.dataReport().html().path()).append('`');
      }
      md.append("\n\n");
    }
    if (s.pendingCheckpoint() != null) {
      md.append("Decide with `./finetune approve ")
          .append(workflowId)
          .append(" --checkpoint ")
          .append(s.pendingCheckpoint().id())
          .append(" --by <you>` (or `reject`), or send the signal `decision` with ")
          .append("`{\"checkpoint\": \"")
          .append(s.pendingCheckpoint())
          .append("\", \"action\": \"approve\", \"by\": \"<you>\", \"comment\": \"...\"}`\n");
    }
    if (s.stage() == Stage.ROLLING_OUT && s.promoted() != null) {
      md.append("Rolling out v")
          .append(s.promoted().version())
          .append(": its canary serves part of the traffic; see the workflow `")
          .append(Rollout.workflowId(s.name()))
          .append("`\n\n");
    }
    if (s.outcome() != null) {
      md.append("Outcome: **").append(s.outcome()).append("**: ").append(s.outcomeReason());
    }
    return md.toString();
  }

  /** Latency and cost beside the score, where measured. */
  private static String usage(Usage u) {
    if (u == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    if (u.latencyP95Millis() != null) {
      sb.append(String.format(Locale.ROOT, ", p95 %.1f ms", u.latencyP95Millis()));
    }
    if (u.costPer1kRequests() != null) {
      sb.append(String.format(Locale.ROOT, ", $%.4f per 1k requests", u.costPer1kRequests()));
    }
    return sb.toString();
  }
}
