package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;

/**
 * Corrections as the run applied them: the data version they made ({@code data}; the data as
 * imported is version 1), who sent them and when (workflow time), how many rows were relabeled and
 * excluded, the lineage file (each change with its reason) and the reviewer's file as kept. {@code
 * baselineScore}: the prompt baseline's score by the target metric on the test set afterwards
 * (scored again only when a test row changed).
 */
public record CorrectionRecord(
    int version,
    String by,
    String comment,
    long atMillis,
    int relabeled,
    int excluded,
    DatasetRef data,
    ArtifactRef lineage,
    ArtifactRef file,
    double baselineScore) {}
