package io.finetune.workflows.pipeline;

/**
 * A decision as the run recorded it: who, when (workflow time), what, why, through which channel,
 * and whether it overrode a failed gate (rule 10).
 */
public record DecisionRecord(
    Checkpoint checkpoint,
    Action action,
    String by,
    String comment,
    long atMillis,
    Channel via,
    boolean override) {

  public boolean approved() {
    return action == Action.APPROVE;
  }

  DecisionRecord asOverride(boolean isOverride) {
    return new DecisionRecord(checkpoint, action, by, comment, atMillis, via, isOverride);
  }
}
