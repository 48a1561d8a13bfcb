package io.finetune.workflows.training;

import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.spec.Size;
import java.util.Map;

/** A trained candidate and its fast-eval scores on the test set and on each eval set. */
public record CandidateResult(
    Size size,
    String baseModel,
    String jobId,
    String modelId,
    EvalResult test,
    Map<String, EvalResult> evalSets) {}
