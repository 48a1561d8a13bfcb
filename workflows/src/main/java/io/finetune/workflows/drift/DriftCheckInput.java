package io.finetune.workflows.drift;

/**
 * The model (registry name) to check, the production batch (JSONL; rows with an output are
 * labeled), and whether to start retraining when the check fires.
 */
public record DriftCheckInput(String modelName, String batchPath, boolean retrain) {}
