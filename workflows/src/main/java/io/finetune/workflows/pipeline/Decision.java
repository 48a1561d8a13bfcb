package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A reviewer's decision at a checkpoint as sent, e.g. {@code {"checkpoint": "data-review",
 * "action": "approve", "by": "alice", "comment": "labels look right"}}. Typed by hand in the Web
 * UI's signal dialog, so it stays plain text (an unknown checkpoint must reach the run to be
 * recorded, not be dropped by the converter) and extra fields are tolerated. {@link DecisionRules}
 * turns it into a {@link DecisionRecord} or a reason to refuse it.
 *
 * <p>{@code tokenId} and {@code proof} (null: none) say who sent it when the spec asks for verified
 * approvers ({@code approval.requireToken}): the id of an approver token and {@link
 * DecisionProof#sign its proof} over this decision on this run. Never the token itself: histories
 * hold decisions.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Decision(
    String checkpoint,
    String action,
    String by,
    String comment,
    @JsonInclude(JsonInclude.Include.NON_NULL) String tokenId,
    @JsonInclude(JsonInclude.Include.NON_NULL) String proof) {

  /** A decision without an approver token (the Web UI's, and those from before tokens). */
  public Decision(String checkpoint, String action, String by, String comment) {
    this(checkpoint, action, by, comment, null, null);
  }

  public static Decision of(Checkpoint checkpoint, Action action, String by, String comment) {
    return new Decision(checkpoint.id(), action.id(), by, comment);
  }

  public static Decision approve(Checkpoint checkpoint, String by, String comment) {
    return of(checkpoint, Action.APPROVE, by, comment);
  }

  public static Decision reject(Checkpoint checkpoint, String by, String comment) {
    return of(checkpoint, Action.REJECT, by, comment);
  }

  /** This decision, carrying {@code tokenId}'s {@code proof}. */
  public Decision withProof(String tokenId, String proof) {
    return new Decision(checkpoint, action, by, comment, tokenId, proof);
  }

  /** Whether it carries an approver token's id and proof. */
  public boolean hasProof() {
    return tokenId != null && !tokenId.isBlank() && proof != null && !proof.isBlank();
  }
}
