package io.finetune.workflows.training;

import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.finetune.workflows.spec.Size;
import java.util.Map;

/**
 * A trained candidate, its fast-eval scores on the test set and on each eval set, and what its
 * training took: tokens trained and their cost by the provider's price table (null when unknown).
 * {@code variant} names its sweep combination (empty or null without a sweep); {@code checkpoint}
 * says which of the job's checkpoints it is and why (null when the job's final model was taken
 * without a choice); {@code judge}: the pairwise judge's verdict against the prompt baseline (null
 * without a judge). Fields after {@code evalSets} are null in histories from before them.
 *
 * <p>Histories hold this record: append components, never rename or remove one.
 */
public record CandidateResult(
    Size size,
    String baseModel,
    String jobId,
    String modelId,
    EvalResult test,
    Map<String, EvalResult> evalSets,
    Long trainedTokens,
    Double trainingCost,
    String variant,
    CheckpointChoice checkpoint,
    JudgeResult judge,
    JudgeResult judgeVsProduction) {

  public CandidateResult(
      Size size,
      String baseModel,
      String jobId,
      String modelId,
      EvalResult test,
      Map<String, EvalResult> evalSets,
      Long trainedTokens,
      Double trainingCost,
      String variant,
      CheckpointChoice checkpoint,
      JudgeResult judge) {
    this(
        size,
        baseModel,
        jobId,
        modelId,
        test,
        evalSets,
        trainedTokens,
        trainingCost,
        variant,
        checkpoint,
        judge,
        null);
  }

  public CandidateResult(
      Size size,
      String baseModel,
      String jobId,
      String modelId,
      EvalResult test,
      Map<String, EvalResult> evalSets,
      Long trainedTokens,
      Double trainingCost,
      String variant,
      CheckpointChoice checkpoint) {
    this(
        size,
        baseModel,
        jobId,
        modelId,
        test,
        evalSets,
        trainedTokens,
        trainingCost,
        variant,
        checkpoint,
        null);
  }

  public CandidateResult(
      Size size,
      String baseModel,
      String jobId,
      String modelId,
      EvalResult test,
      Map<String, EvalResult> evalSets) {
    this(size, baseModel, jobId, modelId, test, evalSets, null, null, null, null);
  }

  /** The same candidate with the judge's verdict against the prompt baseline. */
  public CandidateResult withJudge(JudgeResult verdict) {
    return new CandidateResult(
        size,
        baseModel,
        jobId,
        modelId,
        test,
        evalSets,
        trainedTokens,
        trainingCost,
        variant,
        checkpoint,
        verdict,
        judgeVsProduction);
  }

  /** The same candidate with the judge's verdict against the model in production. */
  public CandidateResult withJudgeVsProduction(JudgeResult verdict) {
    return new CandidateResult(
        size,
        baseModel,
        jobId,
        modelId,
        test,
        evalSets,
        trainedTokens,
        trainingCost,
        variant,
        checkpoint,
        judge,
        verdict);
  }

  /** The size and, with a sweep, the combination: e.g. {@code small} or {@code small e3-lr0.5}. */
  public String label() {
    return variant == null || variant.isEmpty() ? size.id() : size.id() + " " + variant;
  }

  /**
   * The checkpoint chosen on the validation set: its step, its score there by {@code metric}, and
   * how many checkpoints were scored.
   */
  public record CheckpointChoice(long step, String metric, double validationScore, int scored) {}
}
