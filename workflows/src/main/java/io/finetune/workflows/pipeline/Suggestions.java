package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import java.util.Map;

/**
 * A stronger model's answers to the flagged rows ({@code flagged}, of the data report they were
 * asked for): its predictions file, one line per flagged row in order, and how its answers compare
 * with the current labels ({@code metrics}, e.g. {@code exact_match}: the share it agrees with).
 */
public record Suggestions(
    String model,
    String provider,
    String by,
    long atMillis,
    DatasetRef flagged,
    ArtifactRef predictions,
    Map<String, Double> metrics) {}
