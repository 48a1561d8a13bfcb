package io.finetune.workflows.training;

import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.spec.Size;
import java.util.Map;

/**
 * A trained candidate, its fast-eval scores on the test set and on each eval set, and what its
 * training took: tokens trained and their cost by the provider's price table (null when unknown,
 * and in histories from before it was measured).
 */
public record CandidateResult(
    Size size,
    String baseModel,
    String jobId,
    String modelId,
    EvalResult test,
    Map<String, EvalResult> evalSets,
    Long trainedTokens,
    Double trainingCost) {

  public CandidateResult(
      Size size,
      String baseModel,
      String jobId,
      String modelId,
      EvalResult test,
      Map<String, EvalResult> evalSets) {
    this(size, baseModel, jobId, modelId, test, evalSets, null, null);
  }
}
