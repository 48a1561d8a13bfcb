package io.finetune.workflows;

/**
 * The workflow type names as the server and the Web UI know them (the interfaces' simple names),
 * for code that only has a type name in hand, such as a describe or list answer.
 */
public final class WorkflowTypes {
  public static final String FINE_TUNE_PIPELINE = "FineTunePipeline";
  public static final String TRAIN_CANDIDATE = "TrainCandidate";
  public static final String DRIFT_CHECK = "DriftCheck";
  public static final String EVAL_RUN = "EvalRun";
  public static final String ROLLOUT = "Rollout";

  private WorkflowTypes() {}
}
