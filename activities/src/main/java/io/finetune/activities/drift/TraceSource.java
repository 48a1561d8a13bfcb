package io.finetune.activities.drift;

import io.finetune.workflows.drift.DriftActivities.BatchSelection;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;

/**
 * Production rows from the gateway's traces, for a drift check whose model's spec says {@code
 * drift.source: traces}. Implemented by the gateway module (which owns the traces and the
 * redaction), wired in by the worker.
 */
public interface TraceSource {
  /**
   * The traces of {@code current}'s model (every version) since the previous check of that model,
   * written as a batch in the model's dataset format; the window is recorded under {@code
   * checkKey}, so that a retry returns the same batch. A null path when no trace arrived.
   */
  BatchSelection select(ModelVersion current, String checkKey);
}
