package io.finetune.workflows.drift;

import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import java.util.List;
import java.util.Map;

/**
 * What a drift check measured, which thresholds were exceeded, and the retraining run it started
 * (if any) with the current model's scores on the fresh hold-out that run is also scored on, or why
 * it started none although the model drifted.
 */
public record DriftResult(
    String modelName,
    int modelVersion,
    String modelId,
    DriftStatistics statistics,
    Map<String, Double> liveMetrics,
    List<String> exceeded,
    boolean drifted,
    String retrainWorkflowId,
    int freshRowsAdded,
    Map<String, Double> currentModelOnFreshHoldout,
    String retrainingNote) {}
