package io.finetune.workflows.registry;

import com.fasterxml.jackson.annotation.JsonAlias;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.activity.ActivityInterface;
import java.util.Map;

/** Model versions: promotion of an approved candidate, and the current version of a model. */
@ActivityInterface
public interface RegistryActivities {

  /**
   * Records a new current version; promoting the same run twice returns the same version. The
   * version keeps the spec and the whole labeled dataset its run started from, so that drift checks
   * compare against it and retraining starts from it.
   */
  ModelVersion promote(PromoteRequest request);

  /** The current version of the model called {@code name}; fails non-retryably if none. */
  ModelVersion current(String name);

  /** The current version of the model called {@code name}, or null when none was promoted. */
  ModelVersion find(String name);

  record PromoteRequest(
      String name,
      String runId,
      String modelId,
      String provider,
      String size,
      Map<String, Double> metrics,
      PipelineSpec spec,
      @JsonAlias("train") DatasetRef dataset,
      String approvedBy) {}

  record ModelVersion(
      String name,
      int version,
      String modelId,
      String provider,
      String size,
      Map<String, Double> metrics,
      PipelineSpec spec,
      @JsonAlias("train") DatasetRef dataset,
      String runId,
      String approvedBy,
      long promotedAtMillis) {}
}
