package io.finetune.workflows.drift;

import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import java.util.List;
import java.util.Map;

/**
 * What a drift check measured on which batch files, which thresholds were exceeded, and the
 * retraining run it started (if any) with the current model's scores on the fresh hold-out that run
 * is also scored on. {@code note} says why it started none although the model drifted, or that no
 * new batch file had arrived (then {@code statistics} is null: nothing was measured).
 */
public record DriftResult(
    String modelName,
    int modelVersion,
    String modelId,
    List<String> batchFiles,
    DriftStatistics statistics,
    Map<String, Double> liveMetrics,
    List<String> exceeded,
    boolean drifted,
    String retrainWorkflowId,
    int freshRowsAdded,
    Map<String, Double> currentModelOnFreshHoldout,
    String note) {}
