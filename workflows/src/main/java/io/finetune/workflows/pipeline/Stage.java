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
  /** A canary of the promoted version serves part of the traffic ({@code Rollout} workflow). */
  ROLLING_OUT,
  /** The slow eval found the canary worse and a person decides whether to roll back. */
  ROLLBACK_REVIEW,
  DONE
}
