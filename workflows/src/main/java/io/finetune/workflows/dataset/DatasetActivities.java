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

  /** The data report for the review checkpoint (JSON, Markdown and HTML in the artifact store). */
  DataReport profile(ProfileRequest request);

  /**
   * A reviewer's corrections file applied to the data under review: every line validated first
   * (file, line, field and what was expected, or nothing is written), then a new content-addressed
   * version of the data with the relabeled rows changed and the excluded ones left out, and its
   * lineage (which rows changed, how, why, by whom). Rows keep their number in the dataset as
   * imported ({@code row}), so that the next report and the next export name them as before.
   */
  CorrectionResult applyCorrections(CorrectionRequest request);

  /**
   * {@code path}: the corrections file as the reviewer sent it; {@code sha256}: its content as sent
   * (a file changed since is refused); {@code version}: the version the result is (the data as
   * imported is version 1).
   */
  record CorrectionRequest(
      DatasetRef data,
      String path,
      String sha256,
      int version,
      String by,
      String comment,
      List<String> outputFields,
      Map<String, List<String>> fieldValues,
      String task) {}

  /**
   * {@code data}: the new version; {@code lineage}: its changes as JSON; {@code corrections}: the
   * reviewer's file as applied, kept in the artifact store.
   */
  record CorrectionResult(
      DatasetRef data,
      ArtifactRef lineage,
      ArtifactRef corrections,
      int version,
      int relabeled,
      int excluded) {}

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

  /**
   * {@code fieldTypes}: the spec's (a field not named is detected; null in older histories); {@code
   * fieldValues}: the values each category field allows (a field not named, or null: any value);
   * {@code answerSchema}: the path of a JSON Schema every answer must meet (null: none).
   */
  record ProfileRequest(
      DatasetRef data,
      SplitResult split,
      List<String> outputFields,
      EvalResult baseline,
      String targetMetric,
      double targetScore,
      Map<String, String> fieldTypes,
      Map<String, List<String>> fieldValues,
      String answerSchema) {
    public ProfileRequest(
        DatasetRef data,
        SplitResult split,
        List<String> outputFields,
        EvalResult baseline,
        String targetMetric,
        double targetScore,
        Map<String, String> fieldTypes,
        Map<String, List<String>> fieldValues) {
      this(
          data,
          split,
          outputFields,
          baseline,
          targetMetric,
          targetScore,
          fieldTypes,
          fieldValues,
          null);
    }

    public ProfileRequest(
        DatasetRef data,
        SplitResult split,
        List<String> outputFields,
        EvalResult baseline,
        String targetMetric,
        double targetScore,
        Map<String, String> fieldTypes) {
      this(data, split, outputFields, baseline, targetMetric, targetScore, fieldTypes, null, null);
    }

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

  /**
   * The review's numbers; the reports themselves by reference. {@code duplicateRows}: rows whose
   * normalized input occurs before (exact and near duplicates and conflicting labels together);
   * {@code emptyOutputs}: rows whose answer has no value at all (before {@code problems} existed it
   * also counted rows missing one field). {@code problems}: each kind of problem on its own, in
   * {@link DataProblem#KINDS} order ({@code schema_violation} only when the spec has an answer
   * schema); null in histories from before it. {@code html}: the same report as a self-contained
   * page with charts; {@code flagged}: every row a reviewer should look at (a problem, or a wrong
   * baseline answer), one line each in the pipeline's row format plus {@code row} (its number in
   * the dataset), {@code reasons} and {@code baseline} (the prompt baseline's answer, when it
   * answered that row). Both null in histories from before them.
   */
  record DataReport(
      ArtifactRef json,
      ArtifactRef markdown,
      int rows,
      int duplicateRows,
      int emptyOutputs,
      int suspiciousLabels,
      int rowsRemovedByFilters,
      int baselineFailures,
      List<String> warnings,
      List<DataProblem> problems,
      // Both left out when null (reports from before them), so older payloads read as before.
      @JsonInclude(JsonInclude.Include.NON_NULL) ArtifactRef html,
      @JsonInclude(JsonInclude.Include.NON_NULL) DatasetRef flagged) {

    public DataReport(
        ArtifactRef json,
        ArtifactRef markdown,
        int rows,
        int duplicateRows,
        int emptyOutputs,
        int suspiciousLabels,
        int rowsRemovedByFilters,
        int baselineFailures,
        List<String> warnings,
        List<DataProblem> problems) {
      this(
          json,
          markdown,
          rows,
          duplicateRows,
          emptyOutputs,
          suspiciousLabels,
          rowsRemovedByFilters,
          baselineFailures,
          warnings,
          problems,
          null,
          null);
    }

    public DataReport(
        ArtifactRef json,
        ArtifactRef markdown,
        int rows,
        int duplicateRows,
        int emptyOutputs,
        int suspiciousLabels,
        int rowsRemovedByFilters,
        int baselineFailures,
        List<String> warnings) {
      this(
          json,
          markdown,
          rows,
          duplicateRows,
          emptyOutputs,
          suspiciousLabels,
          rowsRemovedByFilters,
          baselineFailures,
          warnings,
          null);
    }

    /** The rows with problem {@code kind}; 0 when there are none or the report predates it. */
    public int count(String kind) {
      return problems == null
          ? 0
          : problems.stream().filter(p -> p.kind().equals(kind)).mapToInt(DataProblem::rows).sum();
    }
  }

  /**
   * One kind of problem the data review found: how many rows have it and the first of them (row
   * numbers count the dataset's rows from 1, blank lines not counted). A row is counted once per
   * kind, whatever number of its fields have that problem.
   */
  record DataProblem(String kind, int rows, List<Integer> exampleRows) {
    /** The answer has no value at all: an empty object, every field empty, or blank text. */
    public static final String EMPTY_OUTPUT = "empty_output";

    /** Some output fields have a value, at least one is absent, null or blank. */
    public static final String MISSING_FIELD = "missing_field";

    /**
     * A value not of the field's type: not a JSON string for a category or text, not an ISO date
     * for a date, not a number for a number.
     */
    public static final String WRONG_TYPE = "wrong_type";

    /** A category value outside the spec's {@code values} for that field. */
    public static final String VALUE_NOT_ALLOWED = "value_not_allowed";

    /** A category value seen in fewer than 3 rows or in less than 0.5% of the rows. */
    public static final String RARE_VALUE = "rare_value";

    /** A non-empty answer that does not meet the spec's {@code answerSchema} (JSON Schema). */
    public static final String SCHEMA_VIOLATION = "schema_violation";

    /** The same normalized input as an earlier row, with another answer than its first row's. */
    public static final String CONFLICTING_LABELS = "conflicting_labels";

    /** The same input text and answer as an earlier row. */
    public static final String EXACT_DUPLICATE = "exact_duplicate";

    /**
     * The same answer and normalized input (case, spaces, punctuation ignored) as an earlier row,
     * but another input text.
     */
    public static final String NEAR_DUPLICATE = "near_duplicate";

    public static final List<String> KINDS =
        List.of(
            EMPTY_OUTPUT,
            MISSING_FIELD,
            WRONG_TYPE,
            VALUE_NOT_ALLOWED,
            SCHEMA_VIOLATION,
            RARE_VALUE,
            CONFLICTING_LABELS,
            EXACT_DUPLICATE,
            NEAR_DUPLICATE);

    public DataProblem {
      exampleRows = exampleRows == null ? List.of() : List.copyOf(exampleRows);
    }
  }
}
