package io.finetune.workflows.rollout;

import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Rule 9, never fire and forget: a promoted version first serves a canary share of the gateway's
 * traffic for a window (a durable timer), then the slow eval compares its production outcomes with
 * the current version's; better or no worse rolls it out, worse rolls it back (or waits at the
 * {@code rollback} checkpoint when the spec asks a person). One rollout per model at a time: its
 * workflow id is {@link #workflowId}.
 *
 * <p>Decisions at the checkpoint arrive as the validated Update {@code decide} or the Signal {@code
 * decision}, as the pipeline's do; {@code ./finetune rollback} signals {@code rollback} to end a
 * canary at once.
 */
@WorkflowInterface
public interface Rollout {

  /** The id of the rollout of the model called {@code model}. */
  static String workflowId(String model) {
    return "rollout-" + model;
  }

  @WorkflowMethod
  RolloutResult run(RolloutInput input);

  @UpdateMethod
  DecisionRecord decide(Decision decision);

  @UpdateValidatorMethod(updateName = "decide")
  void validateDecide(Decision decision);

  @SignalMethod
  void decision(Decision decision);

  /** Ends the canary now: the current version serves all traffic again. */
  @SignalMethod
  void rollback(RollbackRequest request);

  @QueryMethod
  RolloutStatus status();
}
