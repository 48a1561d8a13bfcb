package io.finetune.workflows.rollout;

import io.finetune.workflows.rollout.RolloutActivities.SlowEval;

/**
 * How a rollout ended: the version serving all traffic now ({@code serving}), why, who decided (the
 * slow eval, a person at the checkpoint, or whoever ran {@code ./finetune rollback}), and the slow
 * eval's figures (null when it ended before the eval).
 */
public record RolloutResult(
    String name,
    int candidate,
    int stable,
    RolloutOutcome outcome,
    int serving,
    String reason,
    String decidedBy,
    SlowEval slowEval) {}
