package io.finetune.workflows.dataset;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.activity.ActivityInterface;
import java.util.List;
import java.util.Map;

/** Datasets: import and validate, split into train/test, profile for the data review. */
@ActivityInterface
public interface DatasetActivities {

  /**
   * Validates a JSONL file row by row and copies it, normalized, into the artifact store. A row
   * that cannot be read fails the activity (non-retryable) with file, line and field; rows that can
   * be read but look wrong are kept and shown by {@link #profile}, never dropped.
   */
  DatasetRef importDataset(ImportRequest request);

  /**
   * Seeded, stable hold-out split into train, test and (when asked) validation; duplicates stay on
   * one side, leakage is counted.
   */
  SplitResult split(SplitRequest request);

  /** The data report for the review checkpoint (JSON + Markdown in the artifact store). */
  DataReport profile(ProfileRequest request);

  /**
   * {@code format}: how rows hold their answer ({@code DatasetFormat}; null: detected from the
   * first row); {@code task}: {@code fields} or {@code text} (null: fields, as in older histories).
   */
  record ImportRequest(
      String name,
      String path,
      String inputField,
      String outputField,
      List<String> outputFields,
      boolean labelsRequired,
      String format,
      String task,
      // Left out when null (fail, the default): such requests are written as before.
      @JsonInclude(JsonInclude.Include.NON_NULL) String invalidRows) {

    public ImportRequest(
        String name,
        String path,
        String inputField,
        String outputField,
        List<String> outputFields,
        boolean labelsRequired) {
      this(name, path, inputField, outputField, outputFields, labelsRequired, null, null);
    }

    public ImportRequest(
        String name,
        String path,
        String inputField,
        String outputField,
        List<String> outputFields,
        boolean labelsRequired,
        String format,
        String task) {
      this(name, path, inputField, outputField, outputFields, labelsRequired, format, task, null);
    }

    /** Rows that cannot be read go to the data review instead of failing the import. */
    public boolean reviewsInvalidRows() {
      return PipelineSpec.Dataset.INVALID_ROWS_REVIEW.equals(invalidRows);
    }

    public boolean textTask() {
      return PipelineSpec.TASK_TEXT.equals(task);
    }
  }

  /**
   * {@code validationFraction}: the share of all rows set apart from training for scoring the
   * provider's checkpoints (0: none).
   */
  record SplitRequest(
      DatasetRef data,
      double testFraction,
      long seed,
      List<DatasetRef> evalSets,
      double validationFraction) {

    public SplitRequest(
        DatasetRef data, double testFraction, long seed, List<DatasetRef> evalSets) {
      this(data, testFraction, seed, evalSets, 0);
    }
  }

  /**
   * {@code validation}: null when none was asked for (and in histories from before it). {@code
   * keptOutOfTraining}: per eval set, the rows of the training data (train and validation) whose
   * normalized input occurs in it and that were therefore kept out of training; {@code keptOut} is
   * those rows, each with the names of the eval sets that have its input ({@code evalSets}). Both
   * null in histories from before the eval sets were sealed, when such rows were trained on and
   * only counted in {@code evalSetLeaks} (since then always 0: the check stays, on the training
   * data as written).
   */
  record SplitResult(
      DatasetRef train,
      DatasetRef test,
      int duplicateRows,
      int trainTestLeaks,
      Map<String, Integer> evalSetLeaks,
      DatasetRef validation,
      Map<String, Integer> keptOutOfTraining,
      DatasetRef keptOut) {

    public SplitResult(
        DatasetRef train,
        DatasetRef test,
        int duplicateRows,
        int trainTestLeaks,
        Map<String, Integer> evalSetLeaks) {
      this(train, test, duplicateRows, trainTestLeaks, evalSetLeaks, null);
    }

    public SplitResult(
        DatasetRef train,
        DatasetRef test,
        int duplicateRows,
        int trainTestLeaks,
        Map<String, Integer> evalSetLeaks,
        DatasetRef validation) {
      this(train, test, duplicateRows, trainTestLeaks, evalSetLeaks, validation, null, null);
    }

    /** Rows kept out of training because an eval set has their input (0 in older histories). */
    public int keptOutRows() {
      return keptOut == null ? 0 : keptOut.rows();
    }
  }

  /** {@code fieldTypes}: the spec's (a field not named is detected; null in older histories). */
  record ProfileRequest(
      DatasetRef data,
      SplitResult split,
      List<String> outputFields,
      EvalResult baseline,
      String targetMetric,
      double targetScore,
      Map<String, String> fieldTypes) {
    public ProfileRequest(
        DatasetRef data,
        SplitResult split,
        List<String> outputFields,
        EvalResult baseline,
        String targetMetric,
        double targetScore) {
      this(data, split, outputFields, baseline, targetMetric, targetScore, null);
    }
  }

  record DataReport(
      ArtifactRef json,
      ArtifactRef markdown,
      int rows,
      int duplicateRows,
      int emptyOutputs,
      int suspiciousLabels,
      int rowsRemovedByFilters,
      int baselineFailures,
      List<String> warnings) {}
}
