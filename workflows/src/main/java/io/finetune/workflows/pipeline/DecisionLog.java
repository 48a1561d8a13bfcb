package io.finetune.workflows.pipeline;

import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

/**
 * A workflow's decisions at its checkpoints, in the order they came (an early signal before the
 * decision it precedes), and the signals it ignored: the Update's validator, the Update and the
 * Signal of a pipeline and of a rollout, on the same {@link DecisionRules}. Workflow code only.
 */
public final class DecisionLog {
  private static final Logger log = Workflow.getLogger(DecisionLog.class);

  private final Map<Checkpoint, DecisionRecord> decided = new LinkedHashMap<>();
  private final List<IgnoredSignal> ignored = new ArrayList<>();

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

  /** The Update's validator: a decision the rules refuse is refused to its sender. */
  public void validate(Decision decision, DecisionRules.RunState run) {
    DecisionRules.problemWith(decision, Channel.UPDATE, run)
        .ifPresent(
            problem -> {
              throw new IllegalArgumentException(problem);
            });
  }

  /** The Update, once validated. */
  public DecisionRecord update(Decision decision) {
    return record(decision, Channel.UPDATE);
  }

  /** The Signal: one the rules refuse is recorded as ignored, with why. */
  public void signal(Decision decision, DecisionRules.RunState run) {
    var problem = DecisionRules.problemWith(decision, Channel.SIGNAL, run);
    if (problem.isPresent()) {
      log.warn("Ignoring decision signal {}: {}", decision, problem.get());
      ignored.add(new IgnoredSignal(decision, problem.get(), Workflow.currentTimeMillis()));
      return;
    }
    record(decision, Channel.SIGNAL);
  }

  private DecisionRecord record(Decision d, Channel via) {
    DecisionRecord r = DecisionRules.record(d, via, Workflow.currentTimeMillis());
    decided.put(r.checkpoint(), r);
    return r;
  }
}
