package io.finetune.workflows.pipeline;

import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import java.util.List;

/**
 * Rule 6, choose an appropriate model: the sizes the spec names, or one recommended from the number
 * of training rows. Dozens of rows need the largest model to generalize; thousands do well with a
 * mid-size one; past tens of thousands a small model learns the task and is cheapest.
 */
final class SizePolicy {
  /** Fewer training rows than this: the large size. */
  static final int LARGE_BELOW_ROWS = 500;

  /** Fewer training rows than this (and at least {@link #LARGE_BELOW_ROWS}): the medium size. */
  static final int MEDIUM_BELOW_ROWS = 50_000;

  private SizePolicy() {}

  static List<Size> choose(PipelineSpec.Model model, int trainRows) {
    return model.sizeIsAuto() ? List.of(recommend(trainRows)) : model.sizes();
  }

  static Size recommend(int trainRows) {
    if (trainRows < LARGE_BELOW_ROWS) {
      return Size.LARGE;
    }
    return trainRows < MEDIUM_BELOW_ROWS ? Size.MEDIUM : Size.SMALL;
  }
}
