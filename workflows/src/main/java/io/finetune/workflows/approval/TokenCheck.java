package io.finetune.workflows.approval;

import io.finetune.workflows.approval.ApproverActivities.Verification;
import io.finetune.workflows.approval.ApproverActivities.VerifyRequest;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionProof;

/**
 * Whether a decision's approver token, as the worker's database keeps it, vouches for it: a pure
 * function, so that the activity and the workflow tests' fake share it.
 */
public final class TokenCheck {
  /** Tokens that call the gateway's API; they cannot approve. */
  public static final String GATEWAY = "gateway";

  /** Tokens that approve or reject at checkpoints; they cannot call the gateway. */
  public static final String APPROVER = "approver";

  private TokenCheck() {}

  /**
   * A token as stored: never the token, only its SHA-256 (hex); {@code approver} null for gateway
   * tokens, {@code revokedAtMillis} null while active.
   */
  public record StoredToken(
      String id, String kind, String approver, String sha256Hex, Long revokedAtMillis) {
    @Override
    public String toString() {
      return "StoredToken[id=" + id + ", kind=" + kind + ", approver=" + approver + "]";
    }
  }

  /**
   * Verifies {@code r} with the token its decision names ({@code stored}, null when no token has
   * that id). The proof is checked before anything else is said of the token, so that someone
   * without it learns no more than that it does not match.
   */
  public static Verification verify(StoredToken stored, VerifyRequest r) {
    Decision d = r.decision();
    String id = d.tokenId();
    if (!d.hasProof()) {
      return Verification.refused(id, "refused: the decision carries no approver token's proof");
    }
    if (stored == null) {
      return Verification.refused(
          id,
          "refused: no token has the id "
              + id
              + " (`./finetune tokens list` shows the tokens; create an approver's with"
              + " `./finetune tokens create --approver NAME`)");
    }
    if (!DecisionProof.matches(stored.sha256Hex(), r.workflowId(), r.runId(), d)) {
      return Verification.refused(
          id,
          "refused: the proof does not match this decision with token "
              + id
              + ": it was made for another run, checkpoint, action, approver or comment, or with"
              + " another token");
    }
    if (!APPROVER.equals(stored.kind())) {
      return Verification.refused(
          id,
          "refused: token "
              + id
              + " is a "
              + stored.kind()
              + " token, which cannot approve or reject: create an approver token with"
              + " `./finetune tokens create --approver "
              + d.by()
              + "`");
    }
    if (stored.revokedAtMillis() != null) {
      return Verification.refused(
          id,
          "refused: approver token "
              + id
              + " ('"
              + stored.approver()
              + "') was revoked; create another with `./finetune tokens create --approver "
              + stored.approver()
              + "`");
    }
    if (!stored.approver().equals(d.by())) {
      return Verification.refused(
          id,
          "refused: approver token "
              + id
              + " is "
              + stored.approver()
              + "'s, but the decision is by '"
              + d.by()
              + "': decide with --by "
              + stored.approver());
    }
    if (!r.approvers().isEmpty() && !r.approvers().contains(d.by())) {
      return Verification.refused(
          id,
          "refused: '" + d.by() + "' may not decide on this run; approvers are " + r.approvers());
    }
    return Verification.ok(id);
  }
}
