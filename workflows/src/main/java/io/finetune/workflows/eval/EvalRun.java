package io.finetune.workflows.eval;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The fast evals of a spec on their own, outside a pipeline, for the prompt-engineering loop: the
 * spec's dataset is imported and split as the pipeline splits it (the same test set, by hash), and
 * a model is scored on the test set and the spec's eval sets; optionally against a second model,
 * with paired intervals of the difference and the spec's judge comparing the two pairwise. Every
 * eval is compared with the previous run's on the same set (run over run).
 */
@WorkflowInterface
public interface EvalRun {

  @WorkflowMethod
  EvalRunResult run(EvalRunInput input);

  /** The scores so far; once the run has ended, its result. */
  @QueryMethod
  EvalRunResult status();
}
