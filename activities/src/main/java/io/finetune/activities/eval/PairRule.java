package io.finetune.activities.eval;

import io.finetune.activities.eval.JudgePrompt.Choice;

/**
 * How two judgments of one pair, one in each order, make its verdict. Each judgment is read as who
 * won (the first answer of the pair, the second, or neither); when the two disagree, the verdict
 * depended on the order, not the answers: the pair is a tie, and counts as flipped.
 */
final class PairRule {
  private PairRule() {}

  /** Who won a pair: the first of its answers (a candidate), the second, or neither. */
  enum Outcome {
    FIRST,
    TIE,
    SECOND
  }

  record Pair(Outcome outcome, boolean flipped) {}

  /**
   * @param firstShownFirst whether the pair's first answer was answer A in the first judgment (in
   *     the second judgment it is answer B)
   */
  static Pair combine(boolean firstShownFirst, Choice firstJudgment, Choice secondJudgment) {
    Outcome one = outcome(firstJudgment, firstShownFirst);
    Outcome two = outcome(secondJudgment, !firstShownFirst);
    return one == two ? new Pair(one, false) : new Pair(Outcome.TIE, true);
  }

  /** What a judgment says about the pair, given whether its first answer was shown as A. */
  static Outcome outcome(Choice choice, boolean firstIsA) {
    return switch (choice) {
      case TIE -> Outcome.TIE;
      case A -> firstIsA ? Outcome.FIRST : Outcome.SECOND;
      case B -> firstIsA ? Outcome.SECOND : Outcome.FIRST;
    };
  }
}
