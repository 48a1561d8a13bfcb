package io.finetune.workflows.drift;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Rule 9, don't fire and forget: compares a production batch with the current model's training data
 * and its live accuracy on the batch's labeled rows; past the spec's thresholds it starts a new
 * {@code FineTunePipeline} with the fresh rows added. Meant to be run by a Temporal Schedule.
 */
@WorkflowInterface
public interface DriftCheck {

  @WorkflowMethod
  DriftResult check(DriftCheckInput input);
}
