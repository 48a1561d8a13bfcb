package io.finetune.workflows.pipeline;

/**
 * A reviewer's decision at a checkpoint, e.g. {@code {"checkpoint": "data-review", "action":
 * "approve", "by": "alice", "comment": "labels look right"}}.
 */
public record Decision(String checkpoint, String action, String by, String comment) {}
