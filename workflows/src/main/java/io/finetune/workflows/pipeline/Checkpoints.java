package io.finetune.workflows.pipeline;

import java.util.List;

/** The human checkpoints of the pipeline, in the order they open. */
public final class Checkpoints {
  public static final String DATA_REVIEW = "data-review";
  public static final String PROMOTION = "promotion";
  public static final List<String> ALL = List.of(DATA_REVIEW, PROMOTION);

  public static final String APPROVE = "approve";
  public static final String REJECT = "reject";

  private Checkpoints() {}
}
