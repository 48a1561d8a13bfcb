package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.Failures;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The corrections and suggestions of a pipeline's data review: what was applied, the latest
 * suggestions, and whether an Update is applying some right now (decisions wait for it). The rules
 * for taking one are a pure function of the run's state, like {@link DecisionRules}. Workflow code
 * only.
 */
final class DataCorrections {
  private final List<CorrectionRecord> applied = new ArrayList<>();
  private Suggestions suggestions;
  private String busy;

  List<CorrectionRecord> applied() {
    return List.copyOf(applied);
  }

  /** The version the next corrections make (the data as imported is version 1). */
  int nextVersion() {
    return applied.size() + 2;
  }

  Suggestions suggestions() {
    return suggestions;
  }

  /** What is being applied right now (null: nothing). */
  String busy() {
    return busy;
  }

  void begin(String what) {
    busy = what;
  }

  void end() {
    busy = null;
  }

  void add(CorrectionRecord record) {
    applied.add(record);
    suggestions = null; // they answered the flagged rows of the report before these corrections
  }

  void suggested(Suggestions s) {
    suggestions = s;
  }

  /** The Update {@code correct}'s validator: a refusal is thrown to the sender. */
  static void validate(Corrections c, DecisionRules.RunState run, String busy) {
    refuse(
        problemWith("corrections", c == null ? null : c.by(), run, busy)
            .or(
                () ->
                    c.path() == null || !c.path().startsWith("/")
                        ? Optional.of(
                            "'path' must be the corrections file's absolute path (the worker"
                                + " reads it)")
                        : Optional.empty()));
  }

  /** The Update {@code suggest}'s validator. */
  static void validate(
      SuggestionRequest r, DecisionRules.RunState run, String busy, DataReport report) {
    refuse(
        problemWith("suggestions", r == null ? null : r.by(), run, busy)
            .or(
                () -> {
                  if (r.model() == null || r.model().isBlank()) {
                    return Optional.of("'model' is required: the model that suggests");
                  }
                  if (report.flagged() == null || report.flagged().rows() == 0) {
                    return Optional.of("the data report flags no row: nothing to suggest");
                  }
                  return Optional.empty();
                }));
  }

  private static void refuse(Optional<String> problem) {
    problem.ifPresent(
        p -> {
          throw new IllegalArgumentException(p);
        });
  }

  /**
   * What the sender of corrections or suggestions is told when an activity refused them (a bad
   * line, an unknown model): its reason, as the Update's failure; a cancellation goes on.
   */
  static ApplicationFailure refused(ActivityFailure e) {
    Failures.rethrowIfCancelled(e);
    return ApplicationFailure.newNonRetryableFailure(
        Failures.innermostMessage(e), Failures.INVALID_INPUT);
  }

  /** Why corrections or suggestions ({@code what}) cannot be taken now, or empty when they can. */
  static Optional<String> problemWith(
      String what, String by, DecisionRules.RunState run, String busy) {
    if (by == null || by.isBlank()) {
      return Optional.of("'by' is required: who sends the " + what);
    }
    if (!run.approvers().isEmpty() && !run.approvers().contains(by)) {
      return Optional.of("'" + by + "' may not review this run; approvers are " + run.approvers());
    }
    if (run.stage() == Stage.DONE) {
      return Optional.of("the run is over (" + run.outcome() + ")");
    }
    DecisionRecord decided = run.decided().get(Checkpoint.DATA_REVIEW);
    if (decided != null) {
      return Optional.of(
          "the data review is decided (" + decided.action() + " by " + decided.by() + ")");
    }
    if (run.open() != Checkpoint.DATA_REVIEW) {
      return Optional.of(
          what
              + " are taken while the data-review checkpoint is open; the run is at stage "
              + run.stage());
    }
    if (busy != null) {
      return Optional.of(busy + " are being applied: send again once the data report is new");
    }
    return Optional.empty();
  }
}
