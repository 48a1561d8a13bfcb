package io.finetune.workflows.common;

/** Any file in the artifact store (predictions, reports, training files): path + sha256. */
public record ArtifactRef(String path, String sha256, long bytes) {}
