package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A reviewer's decision at a checkpoint as sent, e.g. {@code {"checkpoint": "data-review",
 * "action": "approve", "by": "alice", "comment": "labels look right"}}. Typed by hand in the Web
 * UI's signal dialog, so it stays plain text (an unknown checkpoint must reach the run to be
 * recorded, not be dropped by the converter) and extra fields are tolerated. {@link DecisionRules}
 * turns it into a {@link DecisionRecord} or a reason to refuse it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Decision(String checkpoint, String action, String by, String comment) {

  public static Decision of(Checkpoint checkpoint, Action action, String by, String comment) {
    return new Decision(checkpoint.id(), action.id(), by, comment);
  }

  public static Decision approve(Checkpoint checkpoint, String by, String comment) {
    return of(checkpoint, Action.APPROVE, by, comment);
  }

  public static Decision reject(Checkpoint checkpoint, String by, String comment) {
    return of(checkpoint, Action.REJECT, by, comment);
  }
}
