package io.finetune.workflows.drift;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
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

  record CompareRequest(DatasetRef train, DatasetRef batch, List<String> outputFields) {}

  record DriftStatistics(
      double newVocabularyRate,
      Map<String, Double> labelDistance,
      double maxLabelDistance,
      int batchRows,
      int labeledRows,
      ArtifactRef report) {}

  record SelectBatchRequest(String modelName, String path, String checkKey) {}

  /**
   * The batch to check ({@code path}, null when nothing new arrived), the files it is made of, and
   * when a check of this model last took files (epoch millis, 0 if never; set when nothing new).
   */
  record BatchSelection(String path, List<String> files, long lastTakenAtMillis) {}

  record RetrainRequest(DatasetRef train, DatasetRef batch, double holdoutFraction, long seed) {}

  record RetrainData(DatasetRef dataset, DatasetRef freshHoldout, int freshRowsAdded) {}
}
