package io.finetune.workflows.eval;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.temporal.activity.ActivityInterface;
import java.util.List;
import java.util.Map;

/** Fast evals: run a model over a dataset through the provider and score its answers. */
@ActivityInterface
public interface EvalActivities {

  /**
   * Runs {@code model} with {@code prompt} as system message on every row (batched, bounded
   * concurrency, heartbeating its offset so a retry resumes), stores the predictions and returns
   * exact-match and per-field accuracy over the labeled rows.
   */
  EvalResult evaluate(EvalRequest request);

  record EvalRequest(
      String provider, String model, String prompt, DatasetRef data, List<String> outputFields) {}

  record EvalResult(
      String model,
      String dataset,
      int rows,
      int scoredRows,
      Map<String, Double> metrics,
      ArtifactRef predictions) {}
}
