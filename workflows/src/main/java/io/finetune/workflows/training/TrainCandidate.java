package io.finetune.workflows.training;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** Child of the pipeline, one per model size: fine-tune through the provider, then fast eval. */
@WorkflowInterface
public interface TrainCandidate {

  @WorkflowMethod
  CandidateResult train(CandidateRequest request);
}
