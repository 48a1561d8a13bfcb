package io.finetune.workflows.pipeline;

/** Where a pipeline run is. */
public enum Stage {
  IMPORTING,
  SPLITTING,
  BASELINE,
  PROFILING,
  DATA_REVIEW,
  TRAINING,
  PROMOTION_REVIEW,
  PROMOTING,
  DONE
}
