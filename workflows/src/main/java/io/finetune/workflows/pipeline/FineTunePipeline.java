package io.finetune.workflows.pipeline;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One fine-tuning attempt end to end: import, split, prompt baseline, data review, training per
 * size with fast evals, promotion review, promotion.
 *
 * <p>Decisions arrive as the validated Update {@code decide} (the CLI: a wrong checkpoint or a
 * closed run is refused to the caller) or as the Signal {@code decision} with the same payload (the
 * Web UI's signal dialog: an invalid one is recorded and ignored, an early one is kept). With the
 * spec's {@code approval.requireToken}, either is first verified by an activity (the proof of an
 * approver token, see {@link DecisionProof}); a refused one is recorded with its reason.
 */
@WorkflowInterface
public interface FineTunePipeline {

  @WorkflowMethod
  PipelineStatus run(PipelineInput input);

  @UpdateMethod
  DecisionRecord decide(Decision decision);

  @UpdateValidatorMethod(updateName = "decide")
  void validateDecide(Decision decision);

  @SignalMethod
  void decision(Decision decision);

  /**
   * At the data review: applies a corrections file (relabel, exclude, each with a reason) as a new
   * version of the data, splits and profiles it again and returns what changed; the checkpoint
   * stays open for the next look. Bad lines are refused to the sender with file, line and field.
   */
  @UpdateMethod
  CorrectionRecord correct(Corrections corrections);

  @UpdateValidatorMethod(updateName = "correct")
  void validateCorrect(Corrections corrections);

  /** At the data review: a stronger model answers the flagged rows, as suggestions to accept. */
  @UpdateMethod
  Suggestions suggest(SuggestionRequest request);

  @UpdateValidatorMethod(updateName = "suggest")
  void validateSuggest(SuggestionRequest request);

  /**
   * Waits until a checkpoint is open or the run has ended, then returns the status: how the CLI
   * (and anything else) waits for a person to be needed, without polling.
   */
  @UpdateMethod
  PipelineStatus waitUntilDecisionNeeded();

  @QueryMethod
  PipelineStatus status();
}
