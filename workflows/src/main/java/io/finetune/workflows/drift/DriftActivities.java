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

  record RetrainRequest(DatasetRef train, DatasetRef batch, double holdoutFraction, long seed) {}

  record RetrainData(DatasetRef dataset, DatasetRef freshHoldout, int freshRowsAdded) {}
}
