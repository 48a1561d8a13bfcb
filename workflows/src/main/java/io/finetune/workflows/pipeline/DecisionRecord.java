package io.finetune.workflows.pipeline;

/**
 * A decision as the run recorded it: who, when (workflow time), what, why, through which channel,
 * whether it overrode a failed gate (rule 10), and whether {@code by} was verified: {@code
 * verified} when the decision carried a valid proof of the approver token {@code tokenId} (the
 * spec's {@code approval.requireToken}); records from before tokens read as unverified.
 */
public record DecisionRecord(
    Checkpoint checkpoint,
    Action action,
    String by,
    String comment,
    long atMillis,
    Channel via,
    boolean override,
    boolean verified,
    String tokenId) {

  /** An unverified record (--by only), as every record was before approver tokens. */
  public DecisionRecord(
      Checkpoint checkpoint,
      Action action,
      String by,
      String comment,
      long atMillis,
      Channel via,
      boolean override) {
    this(checkpoint, action, by, comment, atMillis, via, override, false, null);
  }

  public boolean approved() {
    return action == Action.APPROVE;
  }

  /** How {@code by} is known: "verified (token tok_...)" or "unverified (--by only)". */
  public String identity() {
    return verified ? "verified (token " + tokenId + ")" : "unverified (--by only)";
  }

  DecisionRecord asOverride(boolean isOverride) {
    return new DecisionRecord(
        checkpoint, action, by, comment, atMillis, via, isOverride, verified, tokenId);
  }
}
