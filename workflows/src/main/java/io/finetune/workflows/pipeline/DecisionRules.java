package io.finetune.workflows.pipeline;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a decision can be taken, as a pure function of the run's state: the same rules for an
 * Update's validator (refused to the sender) and a Signal (recorded and ignored).
 */
public final class DecisionRules {
  private DecisionRules() {}

  /**
   * What the rules need to know of the run. {@code open} is null between checkpoints; {@code
   * checkpoints}: those this workflow opens (the pipeline's, or a rollout's).
   */
  public record RunState(
      List<Checkpoint> checkpoints,
      Stage stage,
      Checkpoint open,
      Map<Checkpoint, DecisionRecord> decided,
      Outcome outcome,
      List<String> approvers) {}

  /** Why {@code d} cannot be taken through {@code via}, or empty when it can. */
  public static Optional<String> problemWith(Decision d, Channel via, RunState run) {
    if (d == null) {
      return Optional.of(
          "empty decision; send {\"checkpoint\": ..., \"action\": \"approve\"|\"reject\","
              + " \"by\": ..., \"comment\": ...}");
    }
    Optional<Checkpoint> checkpoint = Checkpoint.find(d.checkpoint());
    if (checkpoint.isEmpty()) {
      return Optional.of(
          "unknown checkpoint '"
              + d.checkpoint()
              + "'; expected one of "
              + List.of(Checkpoint.values()));
    }
    if (!run.checkpoints().contains(checkpoint.get())) {
      return Optional.of(
          "checkpoint "
              + checkpoint.get()
              + " is not decided on this workflow; its checkpoints are "
              + run.checkpoints()
              + (checkpoint.get() == Checkpoint.ROLLBACK
                  ? " (the rollback checkpoint is the rollout's: rollout-NAME)"
                  : ""));
    }
    if (Action.find(d.action()).isEmpty()) {
      return Optional.of("unknown action '" + d.action() + "'; expected approve or reject");
    }
    if (d.by() == null || d.by().isBlank()) {
      return Optional.of("'by' is required: who takes this decision");
    }
    if (!run.approvers().isEmpty() && !run.approvers().contains(d.by())) {
      return Optional.of(
          "'" + d.by() + "' may not decide on this run; approvers are " + run.approvers());
    }
    DecisionRecord earlier = run.decided().get(checkpoint.get());
    if (earlier != null) {
      return Optional.of(
          "checkpoint "
              + checkpoint.get()
              + " was already decided ("
              + earlier.action()
              + " by "
              + earlier.by()
              + ")");
    }
    if (run.stage() == Stage.DONE) {
      return Optional.of("the run is over (" + run.outcome() + ")");
    }
    if (via == Channel.UPDATE && checkpoint.get() != run.open()) {
      return Optional.of(
          run.open() == null
              ? "checkpoint "
                  + checkpoint.get()
                  + " is not open; the run is at stage "
                  + run.stage()
              : "checkpoint "
                  + checkpoint.get()
                  + " is not open; the open checkpoint is "
                  + run.open());
    }
    return Optional.empty();
  }

  /** The record of a decision that passed {@link #problemWith}, on the word of its {@code by}. */
  public static DecisionRecord record(Decision d, Channel via, long atMillis) {
    return record(d, via, atMillis, null);
  }

  /**
   * The record of a decision that passed {@link #problemWith}; {@code verifiedBy}: the approver
   * token that proved its sender (null: unverified).
   */
  public static DecisionRecord record(Decision d, Channel via, long atMillis, String verifiedBy) {
    return new DecisionRecord(
        Checkpoint.find(d.checkpoint()).orElseThrow(),
        Action.find(d.action()).orElseThrow(),
        d.by(),
        d.comment(),
        atMillis,
        via,
        false,
        verifiedBy != null,
        verifiedBy);
  }

  /**
   * Rule 10: approving a promotion whose best candidate does not beat the baseline overrides the
   * gate. Judged when the checkpoint opens, since a signal may have come before the gate was known.
   */
  static boolean overridesGate(DecisionRecord d, boolean gatePassed) {
    return d.checkpoint() == Checkpoint.PROMOTION && d.approved() && !gatePassed;
  }
}
