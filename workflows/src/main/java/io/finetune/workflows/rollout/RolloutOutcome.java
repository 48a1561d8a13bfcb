package io.finetune.workflows.rollout;

/** How a rollout ended. */
public enum RolloutOutcome {
  /** The candidate serves all traffic. */
  ROLLED_OUT,
  /** The canary was ended: the version that served before serves all traffic again. */
  ROLLED_BACK
}
