package io.finetune.workflows.training;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.spec.Size;
import java.util.List;
import java.util.Map;

/**
 * What one candidate trains on and is evaluated on. {@code validation} (null: none) goes up with
 * the training file, and the provider's checkpoints are scored on it by {@code selectionMetric};
 * {@code variant} names the sweep's combination ({@code epochs}, {@code learningRateMultiplier}),
 * empty without a sweep. The test set's eval is compared row by row with the prompt baseline's
 * {@code baselinePredictions}. {@code task}: {@code "text"} or null (fields); {@code fieldTypes}:
 * the spec's, by field. Fields after {@code epochs} are null in histories from before them.
 */
public record CandidateRequest(
    String name,
    Size size,
    String baseModel,
    String provider,
    String prompt,
    List<String> outputFields,
    DatasetRef train,
    DatasetRef test,
    List<DatasetRef> evalSets,
    long seed,
    Integer epochs,
    DatasetRef validation,
    String selectionMetric,
    Double learningRateMultiplier,
    String variant,
    ArtifactRef baselinePredictions,
    String baselineModel,
    String task,
    Map<String, String> fieldTypes) {

  public CandidateRequest(
      String name,
      Size size,
      String baseModel,
      String provider,
      String prompt,
      List<String> outputFields,
      DatasetRef train,
      DatasetRef test,
      List<DatasetRef> evalSets,
      long seed,
      Integer epochs,
      DatasetRef validation,
      String selectionMetric,
      Double learningRateMultiplier,
      String variant,
      ArtifactRef baselinePredictions,
      String baselineModel,
      String task) {
    this(
        name,
        size,
        baseModel,
        provider,
        prompt,
        outputFields,
        train,
        test,
        evalSets,
        seed,
        epochs,
        validation,
        selectionMetric,
        learningRateMultiplier,
        variant,
        baselinePredictions,
        baselineModel,
        task,
        null);
  }

  public CandidateRequest(
      String name,
      Size size,
      String baseModel,
      String provider,
      String prompt,
      List<String> outputFields,
      DatasetRef train,
      DatasetRef test,
      List<DatasetRef> evalSets,
      long seed,
      Integer epochs,
      DatasetRef validation,
      String selectionMetric,
      Double learningRateMultiplier,
      String variant,
      ArtifactRef baselinePredictions,
      String baselineModel) {
    this(
        name,
        size,
        baseModel,
        provider,
        prompt,
        outputFields,
        train,
        test,
        evalSets,
        seed,
        epochs,
        validation,
        selectionMetric,
        learningRateMultiplier,
        variant,
        baselinePredictions,
        baselineModel,
        null);
  }

  public CandidateRequest(
      String name,
      Size size,
      String baseModel,
      String provider,
      String prompt,
      List<String> outputFields,
      DatasetRef train,
      DatasetRef test,
      List<DatasetRef> evalSets,
      long seed,
      Integer epochs) {
    this(
        name,
        size,
        baseModel,
        provider,
        prompt,
        outputFields,
        train,
        test,
        evalSets,
        seed,
        epochs,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }
}
