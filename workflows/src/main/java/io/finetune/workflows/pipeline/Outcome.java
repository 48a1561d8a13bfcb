package io.finetune.workflows.pipeline;

/** How a pipeline run ended. */
public enum Outcome {
  /** The prompt baseline already meets the target: nothing was trained (rule 1). */
  PROMPT_SUFFICIENT,
  REJECTED_AT_DATA_REVIEW,
  REJECTED_AT_PROMOTION,
  PROMOTED
}
