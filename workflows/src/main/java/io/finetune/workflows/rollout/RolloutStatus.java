package io.finetune.workflows.rollout;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.finetune.workflows.pipeline.RefusedDecision;
import io.finetune.workflows.rollout.RolloutActivities.SlowEval;
import java.util.List;

/**
 * Where a rollout is: its phase, the canary's share and window (workflow time, epoch ms), the
 * latest slow eval, the open checkpoint, the decisions and, once over, the result.
 */
public record RolloutStatus(
    String name,
    int candidate,
    int stable,
    Phase phase,
    double canaryShare,
    long canaryFromMillis,
    long windowEndsMillis,
    int window,
    SlowEval slowEval,
    Checkpoint pendingCheckpoint,
    List<DecisionRecord> decisions,
    RolloutResult result,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<RefusedDecision> refusedDecisions) {

  public RolloutStatus {
    refusedDecisions = refusedDecisions == null ? List.of() : refusedDecisions;
  }

  /** A status from before approver tokens: no decision was refused for its sender. */
  public RolloutStatus(
      String name,
      int candidate,
      int stable,
      Phase phase,
      double canaryShare,
      long canaryFromMillis,
      long windowEndsMillis,
      int window,
      SlowEval slowEval,
      Checkpoint pendingCheckpoint,
      List<DecisionRecord> decisions,
      RolloutResult result) {
    this(
        name,
        candidate,
        stable,
        phase,
        canaryShare,
        canaryFromMillis,
        windowEndsMillis,
        window,
        slowEval,
        pendingCheckpoint,
        decisions,
        result,
        List.of());
  }

  /** The phases of a rollout, in order. */
  public enum Phase {
    CANARY,
    SLOW_EVAL,
    ROLLBACK_REVIEW,
    DONE
  }
}
