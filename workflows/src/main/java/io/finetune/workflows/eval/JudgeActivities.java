package io.finetune.workflows.eval;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.temporal.activity.ActivityInterface;

/**
 * A judge model compares two answers to the same input, pairwise. Every pair is judged in both
 * orders (the candidate shown first, then second); a verdict that changes with the order is a tie,
 * so a judge's preference for a position cannot make a winner.
 */
@ActivityInterface
public interface JudgeActivities {

  /**
   * Judges the candidate's answers on the test set against the prompt baseline's (at most {@code
   * maxPairs} rows, the rest skipped and counted), and stores every verdict with the judge's
   * reasons as JSONL. Refuses (non-retryably) a judge of the candidate's own model family.
   */
  JudgeResult judge(JudgeRequest request);

  /**
   * Runs the judge, with the same rule, on pairs people have judged, and measures how often it
   * agrees with them: raw agreement and Cohen's kappa over the classes a, b and tie.
   */
  Alignment alignment(AlignmentRequest request);

  /**
   * {@code seed} (drawn by the workflow) decides which answer each pair shows first in its first
   * judgment; {@code rubric} (null: none) tells the judge what a better answer is.
   */
  record JudgeRequest(
      String provider,
      String judgeModel,
      String rubric,
      DatasetRef test,
      String candidateModel,
      String candidateBaseModel,
      ArtifactRef candidatePredictions,
      String baselineModel,
      ArtifactRef baselinePredictions,
      long seed,
      int maxPairs) {}

  /**
   * Wins, ties and losses of the candidate over {@code pairs} judged pairs; {@code flipped} pairs
   * got a different verdict when the order changed (counted as ties); {@code skipped} rows were
   * beyond the budget. {@code verdicts}: one JSON line per pair, with both judgments and reasons.
   *
   * <p>Histories hold this record: append components, never rename or remove one.
   */
  record JudgeResult(
      String judgeModel,
      String candidateModel,
      String baselineModel,
      int pairs,
      int wins,
      int ties,
      int losses,
      int flipped,
      int skipped,
      ArtifactRef verdicts) {

    /** The share of pairs whose verdict changed with the order: the judge's position bias. */
    public double flipRate() {
      return pairs == 0 ? 0 : (double) flipped / pairs;
    }
  }

  /** {@code path}: a JSONL file of {@code input, reference?, a, b, human: "a"|"b"|"tie"}. */
  record AlignmentRequest(
      String provider, String judgeModel, String rubric, String path, long seed) {}

  /**
   * How the judge's verdicts on {@code pairs} human-judged pairs compare with the people's: the
   * share equal ({@code agreement}) and Cohen's kappa (agreement beyond chance; 1 perfect, 0 no
   * better than chance). {@code verdicts}: both verdicts per pair, as JSONL.
   */
  record Alignment(
      String judgeModel, int pairs, double agreement, double kappa, ArtifactRef verdicts) {}

  /**
   * A tuned model's base: {@code ft:<base>:...} (as OpenAI and the local provider name them) gives
   * {@code <base>}; any other id is its own base.
   */
  static String baseOf(String model) {
    if (model != null && model.startsWith("ft:")) {
      int end = model.indexOf(':', 3);
      return end < 0 ? model.substring(3) : model.substring(3, end);
    }
    return model;
  }

  /**
   * Whether {@code judge} is of the same family as a candidate tuned from {@code base} (or as the
   * candidate {@code candidate} itself): judges prefer answers of their own model.
   */
  static boolean sameFamily(String judge, String base, String candidate) {
    String j = baseOf(judge);
    return j.equals(base) || j.equals(baseOf(candidate)) || judge.equals(candidate);
  }
}
