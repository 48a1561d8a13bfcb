package io.finetune.workflows.approval;

import io.finetune.workflows.pipeline.Decision;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * Checks who sent a decision, for runs whose spec sets {@code approval.requireToken}: its approver
 * token (by id, in the worker's database, where only the token's SHA-256 is kept) and the proof it
 * carries ({@link io.finetune.workflows.pipeline.DecisionProof}).
 */
@ActivityInterface
public interface ApproverActivities {

  /**
   * {@code decision} as sent to run {@code runId} of {@code workflowId}; {@code approvers}: who may
   * decide on it (empty: anyone holding an approver token).
   */
  record VerifyRequest(String workflowId, String runId, Decision decision, List<String> approvers) {
    public VerifyRequest {
      approvers = approvers == null ? List.of() : List.copyOf(approvers);
    }
  }

  /** Verified, by the token {@code tokenId}; or not, and {@code reason} says why. */
  record Verification(boolean verified, String tokenId, String reason) {
    public static Verification ok(String tokenId) {
      return new Verification(true, tokenId, null);
    }

    public static Verification refused(String tokenId, String reason) {
      return new Verification(false, tokenId, reason);
    }
  }

  /**
   * Whether the token exists, is an approver token, is not revoked, belongs to {@code by} (who is
   * among {@code approvers}, when set) and made the proof. A refusal is a result, not a failure.
   */
  @ActivityMethod
  Verification verifyDecision(VerifyRequest request);
}
