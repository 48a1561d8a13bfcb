package io.finetune.workflows.registry;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.activity.ActivityInterface;
import java.util.Map;

/** Model versions: promotion of an approved candidate, and the current version of a model. */
@ActivityInterface
public interface RegistryActivities {

  /**
   * Records a new version, serving at once unless the request says a rollout will canary it (the
   * version serving before then stays); promoting the same run twice returns the same version. The
   * version keeps the spec and the whole labeled dataset its run started from, so that drift checks
   * compare against it and retraining starts from it.
   */
  ModelVersion promote(PromoteRequest request);

  /**
   * The current version of the model called {@code name}: the one serving all but a canary's share
   * of its traffic. Fails non-retryably if none.
   */
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
      String approvedBy,
      Boolean serve,
      @JsonInclude(JsonInclude.Include.NON_NULL) String approverIdentity) {

    /**
     * A promotion whose approver's identity is not said (requests from before approver tokens);
     * {@code approverIdentity}: "verified (token ...)" or "unverified (--by only)", for the audit.
     */
    public PromoteRequest(
        String name,
        String runId,
        String modelId,
        String provider,
        String size,
        Map<String, Double> metrics,
        PipelineSpec spec,
        DatasetRef dataset,
        String approvedBy,
        Boolean serve) {
      this(name, runId, modelId, provider, size, metrics, spec, dataset, approvedBy, serve, null);
    }

    /**
     * A promotion that serves at once (and requests from before rollouts, whose {@code serve} is
     * null: they served at once too).
     */
    public PromoteRequest(
        String name,
        String runId,
        String modelId,
        String provider,
        String size,
        Map<String, Double> metrics,
        PipelineSpec spec,
        DatasetRef dataset,
        String approvedBy) {
      this(name, runId, modelId, provider, size, metrics, spec, dataset, approvedBy, null);
    }

    /** Whether the new version takes all traffic now; false: a rollout will canary it. */
    public boolean servesAtOnce() {
      return serve == null || serve;
    }
  }

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
