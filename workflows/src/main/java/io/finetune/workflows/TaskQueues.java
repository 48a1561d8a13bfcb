package io.finetune.workflows;

/** The task queue every workflow and activity of the pipeline runs on. */
public final class TaskQueues {
  public static final String FINE_TUNE = "fine-tune";

  private TaskQueues() {}
}
