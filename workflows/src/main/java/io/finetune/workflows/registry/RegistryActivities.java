package io.finetune.workflows.registry;

import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.activity.ActivityInterface;
import java.util.Map;

/** Model versions: promotion of an approved candidate, and the current version of a model. */
@ActivityInterface
public interface RegistryActivities {

  /** Records a new current version; promoting the same run twice returns the same version. */
  ModelVersion promote(PromoteRequest request);

  /** The current version of the model called {@code name}; fails non-retryably if none. */
  ModelVersion current(String name);

  record PromoteRequest(
      String name,
      String runId,
      String modelId,
      String provider,
      String size,
      Map<String, Double> metrics,
      PipelineSpec spec,
      DatasetRef train,
      String approvedBy) {}

  record ModelVersion(
      String name,
      int version,
      String modelId,
      String provider,
      String size,
      Map<String, Double> metrics,
      PipelineSpec spec,
      DatasetRef train,
      String runId,
      String approvedBy,
      long promotedAtMillis) {}
}
