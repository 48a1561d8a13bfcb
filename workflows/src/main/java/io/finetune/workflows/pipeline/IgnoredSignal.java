package io.finetune.workflows.pipeline;

/** A decision signal that could not be used, kept so that nobody wonders where it went. */
public record IgnoredSignal(Decision decision, String reason, long atMillis) {}
