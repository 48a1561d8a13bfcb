package io.finetune.workflows.drift;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.activity.ActivityInterface;
import java.util.List;
import java.util.Map;

/** Compares production data with the training data, and builds the data to retrain on. */
@ActivityInterface
public interface DriftActivities {

  /**
   * New-vocabulary rate of the batch's inputs against the training inputs, and the Jensen-Shannon
   * distance between label distributions per output field (over the batch's labeled rows).
   */
  DriftStatistics compare(CompareRequest request);

  /**
   * The batch a check looks at: {@code path} itself when it is a file; when it is a folder, the
   * {@code *.jsonl} files no earlier check of the model took (by content), merged into one, or
   * none. The files are recorded as taken by {@code checkKey}, so a retry takes the same ones.
   */
  BatchSelection selectBatch(SelectBatchRequest request);

  /**
   * The training rows plus the batch's labeled rows, minus a seeded fresh hold-out that scores the
   * retrained model on production data it has not seen.
   */
  RetrainData prepareRetraining(RetrainRequest request);

  /**
   * What to compare. {@code fieldTypes} names the type of each output field (a missing one is
   * detected from the training rows) and {@code thresholds} the limits each {@link FieldDrift} is
   * held to; both null in histories from before field types: label distances only.
   */
  record CompareRequest(
      DatasetRef train,
      DatasetRef batch,
      List<String> outputFields,
      Map<String, String> fieldTypes,
      PipelineSpec.Drift thresholds) {
    public CompareRequest(DatasetRef train, DatasetRef batch, List<String> outputFields) {
      this(train, batch, outputFields, null, null);
    }
  }

  /**
   * {@code labelDistance} holds the Jensen-Shannon distance of each category field's labels; {@code
   * fields} the statistic each field's type calls for (empty in older histories).
   */
  record DriftStatistics(
      double newVocabularyRate,
      Map<String, Double> labelDistance,
      double maxLabelDistance,
      int batchRows,
      int labeledRows,
      ArtifactRef report,
      List<FieldDrift> fields) {
    public DriftStatistics {
      fields = fields == null ? List.of() : List.copyOf(fields);
    }

    public DriftStatistics(
        double newVocabularyRate,
        Map<String, Double> labelDistance,
        double maxLabelDistance,
        int batchRows,
        int labeledRows,
        ArtifactRef report) {
      this(
          newVocabularyRate,
          labelDistance,
          maxLabelDistance,
          batchRows,
          labeledRows,
          report,
          List.of());
    }
  }

  /**
   * How one output field of the batch compares with training, by its type: a category's label
   * distance, a date's or number's out-of-range rate, a text's domain-classifier AUC. {@code
   * detail} says what was seen (e.g. {@code years never seen in training: 2024 (48 of 50 rows)});
   * {@code exceeded} whether {@code value} is past {@code limit}.
   */
  record FieldDrift(
      String field,
      String type,
      String statistic,
      double value,
      double limit,
      boolean exceeded,
      String detail) {}

  record SelectBatchRequest(String modelName, String path, String checkKey) {}

  /**
   * The batch to check ({@code path}, null when nothing new arrived), the files it is made of, and
   * when a check of this model last took files (epoch millis, 0 if never; set when nothing new).
   */
  record BatchSelection(String path, List<String> files, long lastTakenAtMillis) {}

  record RetrainRequest(DatasetRef train, DatasetRef batch, double holdoutFraction, long seed) {}

  record RetrainData(DatasetRef dataset, DatasetRef freshHoldout, int freshRowsAdded) {}
}
