package io.finetune.workflows.pipeline;

/** How a pipeline run ended. */
public enum Outcome {
  /** The prompt baseline already meets the target: nothing was trained (rule 1). */
  PROMPT_SUFFICIENT,
  REJECTED_AT_DATA_REVIEW,
  /** A checkpoint waited past {@code approval.timeout}: nothing more was spent. */
  REVIEW_TIMED_OUT,
  REJECTED_AT_PROMOTION,
  /** Promoted and serving all traffic (after a canary, when the spec asks for a rollout). */
  PROMOTED,
  /** Promoted, but its canary was rolled back: the previous version serves. */
  ROLLED_BACK
}
