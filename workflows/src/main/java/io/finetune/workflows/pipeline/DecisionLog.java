package io.finetune.workflows.pipeline;

import io.finetune.workflows.approval.ApproverActivities;
import io.finetune.workflows.approval.ApproverActivities.Verification;
import io.finetune.workflows.approval.ApproverActivities.VerifyRequest;
import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.common.Failures;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * A workflow's decisions at its checkpoints, in the order they came (an early signal before the
 * decision it precedes), the signals it ignored and the decisions it refused: the Update's
 * validator, the Update and the Signal of a pipeline and of a rollout, on the same {@link
 * DecisionRules}. Workflow code only.
 *
 * <p>With {@code requireToken} (the spec's {@code approval.requireToken}), each decision is
 * verified by an activity before it is applied ({@link ApproverActivities}): one without an
 * approver token's proof, or with a wrong one, is refused (an Update fails with the reason, a
 * Signal is recorded as refused) and kept in {@link #refused()}.
 */
public final class DecisionLog {
  private static final Logger log = Workflow.getLogger(DecisionLog.class);

  /** The version marker of verified decisions; only runs that require tokens reach it. */
  static final String APPROVER_TOKENS = "approver-tokens";

  private final boolean requireToken;
  private ApproverActivities approverActivities; // made when first needed
  private final Map<Checkpoint, DecisionRecord> decided = new LinkedHashMap<>();
  private final List<IgnoredSignal> ignored = new ArrayList<>();
  private final List<RefusedDecision> refused = new ArrayList<>();

  /** Decisions taken on the word of their {@code by} (specs without approval.requireToken). */
  public DecisionLog() {
    this(false);
  }

  public DecisionLog(boolean requireToken) {
    this.requireToken = requireToken;
  }

  /** The decisions so far, by checkpoint (live: for the rules' run state). */
  public Map<Checkpoint, DecisionRecord> decided() {
    return decided;
  }

  public boolean has(Checkpoint checkpoint) {
    return decided.containsKey(checkpoint);
  }

  public DecisionRecord get(Checkpoint checkpoint) {
    return decided.get(checkpoint);
  }

  /** Replaces the record of its checkpoint (e.g. once known to override the gate). */
  void replace(DecisionRecord record) {
    decided.put(record.checkpoint(), record);
  }

  /** The decisions, in order, as a status shows them. */
  public List<DecisionRecord> records() {
    return List.copyOf(decided.values());
  }

  public List<IgnoredSignal> ignored() {
    return List.copyOf(ignored);
  }

  /** The decisions refused because their sender was not verified, in order. */
  public List<RefusedDecision> refused() {
    return List.copyOf(refused);
  }

  /** The Update's validator: a decision the rules refuse is refused to its sender. */
  public void validate(Decision decision, DecisionRules.RunState run) {
    DecisionRules.problemWith(decision, Channel.UPDATE, run)
        .ifPresent(
            problem -> {
              throw new IllegalArgumentException(problem);
            });
  }

  /**
   * The Update, once validated. With {@code requireToken}, the sender is verified first: a refusal
   * fails the Update with its reason (and is recorded); while it was checked the run may have moved
   * on, so {@code recheck} (the validator again) runs before the decision is recorded.
   *
   * @param approvers who may decide (empty: anyone)
   */
  public DecisionRecord update(Decision decision, List<String> approvers, Runnable recheck) {
    if (!requireToken) {
      return record(decision, Channel.UPDATE, null);
    }
    Verification v = verify(decision, approvers);
    if (v == null) {
      return record(decision, Channel.UPDATE, null);
    }
    if (!v.verified()) {
      refuse(decision, Channel.UPDATE, v.reason());
      throw ApplicationFailure.newNonRetryableFailure(v.reason(), Failures.DECISION_REFUSED);
    }
    try {
      recheck.run();
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
    return record(decision, Channel.UPDATE, v.tokenId());
  }

  /**
   * The Signal: one the rules refuse is recorded as ignored, with why; with {@code requireToken},
   * one whose sender is not verified is recorded as refused (the Web UI's signal dialog cannot make
   * a proof: such a run is decided with the CLI).
   */
  public void signal(Decision decision, Supplier<DecisionRules.RunState> run) {
    if (ignoredByRules(decision, run.get())) {
      return;
    }
    String tokenId = null;
    if (requireToken) {
      Verification v = verify(decision, run.get().approvers());
      if (v != null) {
        if (!v.verified()) {
          refuse(decision, Channel.SIGNAL, v.reason());
          return;
        }
        // The run may have moved on while the token was checked.
        if (ignoredByRules(decision, run.get())) {
          return;
        }
        tokenId = v.tokenId();
      }
    }
    record(decision, Channel.SIGNAL, tokenId);
  }

  private boolean ignoredByRules(Decision decision, DecisionRules.RunState run) {
    var problem = DecisionRules.problemWith(decision, Channel.SIGNAL, run);
    if (problem.isPresent()) {
      log.warn("Ignoring decision signal {}: {}", decision, problem.get());
      ignored.add(new IgnoredSignal(decision, problem.get(), Workflow.currentTimeMillis()));
      return true;
    }
    return false;
  }

  /**
   * Who sent {@code d}, checked by an activity (null: this run's history is from before approver
   * tokens, which never required one). A decision without a proof is refused here, without one.
   */
  private Verification verify(Decision d, List<String> approvers) {
    if (Workflow.getVersion(APPROVER_TOKENS, Workflow.DEFAULT_VERSION, 1)
        == Workflow.DEFAULT_VERSION) {
      return null;
    }
    if (!d.hasProof()) {
      return Verification.refused(null, noToken(d.by()));
    }
    if (approverActivities == null) {
      approverActivities = ActivityStubs.approvers();
    }
    try {
      return approverActivities.verifyDecision(
          new VerifyRequest(
              Workflow.getInfo().getWorkflowId(), Workflow.getInfo().getRunId(), d, approvers));
    } catch (ActivityFailure e) {
      Failures.rethrowIfCancelled(e);
      return Verification.refused(
          d.tokenId(),
          "refused: the approver token "
              + d.tokenId()
              + " could not be checked ("
              + Failures.innermostMessage(e)
              + "); send the decision again once the worker's database answers");
    }
  }

  static String noToken(String by) {
    String who = by == null || by.isBlank() ? "<you>" : by;
    return "refused: the decision carries no approver token, and this run requires one"
        + " (approval.requireToken): create one with `./finetune tokens create --approver "
        + who
        + "` and set FINETUNE_APPROVER_TOKEN (or pass --token-file) when you approve or reject";
  }

  private void refuse(Decision d, Channel via, String reason) {
    log.warn("Refused decision {} from '{}' via {}: {}", d.checkpoint(), d.by(), via, reason);
    refused.add(new RefusedDecision(d, via, reason, Workflow.currentTimeMillis()));
  }

  private DecisionRecord record(Decision d, Channel via, String verifiedBy) {
    DecisionRecord r = DecisionRules.record(d, via, Workflow.currentTimeMillis(), verifiedBy);
    decided.put(r.checkpoint(), r);
    return r;
  }
}
