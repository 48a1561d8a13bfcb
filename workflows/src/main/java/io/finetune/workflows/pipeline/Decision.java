package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A reviewer's decision at a checkpoint, e.g. {@code {"checkpoint": "data-review", "action":
 * "approve", "by": "alice", "comment": "labels look right"}}. Typed by hand in the Web UI's signal
 * dialog, so extra fields are tolerated rather than making the signal unreadable.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Decision(String checkpoint, String action, String by, String comment) {}
