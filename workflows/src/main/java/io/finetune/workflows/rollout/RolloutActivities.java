package io.finetune.workflows.rollout;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.temporal.activity.ActivityInterface;

/**
 * The gateway's traffic split and the production outcomes of each version, in the database the
 * gateway reads and writes. Every step that changes what serves is idempotent by {@code key} (the
 * rollout's execution and step) and audited: who, when, why, the figures.
 */
@ActivityInterface
public interface RolloutActivities {

  /** Sends {@code share} of the model's traffic to {@code candidate}; the rest stays on stable. */
  Deployment startCanary(CanaryRequest request);

  /**
   * The online eval: a seeded sample of {@code share} of the canary's traces in the window, each
   * answered again by the stable version and both answers compared by the judge in both orders.
   */
  OnlineJudgment judgeCanary(OnlineJudgeRequest request);

  /** The slow eval: the canary's production outcomes against the stable version's. */
  SlowEval slowEval(SlowEvalRequest request);

  /**
   * Ends the canary: the candidate takes all traffic ({@code rollOut}) or the stable version takes
   * it back. When the canary was already ended by {@code ./finetune rollback}, nothing changes and
   * the result says so.
   */
  Completion complete(CompleteRequest request);

  /**
   * {@code actorIdentity}: how {@code actor}, who approved the promotion, is known ("verified
   * (token ...)" or "unverified (--by only)"), for the audit; null in requests from before approver
   * tokens.
   */
  record CanaryRequest(
      String key,
      String name,
      int candidate,
      int stable,
      double share,
      String actor,
      @JsonInclude(JsonInclude.Include.NON_NULL) String actorIdentity) {

    public CanaryRequest(
        String key, String name, int candidate, int stable, double share, String actor) {
      this(key, name, candidate, stable, share, actor, null);
    }
  }

  /** What serves a model: {@code stable}, and {@code canary} (null: none) for a share of calls. */
  record Deployment(
      String name, int stable, Integer canary, double canaryShare, long updatedAtMillis) {}

  record OnlineJudgeRequest(
      String key,
      String name,
      int candidate,
      int stable,
      long fromMillis,
      long untilMillis,
      double share,
      String provider,
      String judgeModel,
      String rubric,
      int maxPairs,
      long seed) {}

  /**
   * The judge's verdicts on sampled canary traces: {@code wins} where the canary's answer was
   * preferred to the stable version's in both orders, {@code losses} the reverse, ties otherwise.
   */
  record OnlineJudgment(String judgeModel, int sampled, int wins, int ties, int losses) {}

  record SlowEvalRequest(
      String key,
      String name,
      int candidate,
      int stable,
      long fromMillis,
      long untilMillis,
      int minEvents,
      double maxPValue,
      OnlineJudgment judgment) {}

  /**
   * One version's traces in the window and their outcomes: {@code failed} (the provider gave no
   * answer), feedback by kind, side-by-side comparisons lost, and {@code bad}: traces with at least
   * one bad outcome (failed, thumbs down, regenerated, corrected, lost a side-by-side). {@code
   * events}: the outcomes in all (feedback events and failures).
   */
  record Outcomes(
      int version,
      long traces,
      long failed,
      long thumbsUp,
      long thumbsDown,
      long regenerated,
      long corrected,
      long lostSideBySide,
      long bad,
      long events) {
    public double badRate() {
      return traces == 0 ? 0 : (double) bad / traces;
    }
  }

  /** What the slow eval concluded. */
  enum Verdict {
    BETTER,
    NO_WORSE,
    WORSE,
    /** Fewer outcomes on the canary than the spec's minimum: nothing can be concluded yet. */
    TOO_FEW
  }

  /**
   * The slow eval: each version's outcomes, the one-sided p-value that the canary's bad-outcome
   * rate is higher ({@code pWorse}, two-proportion z-test) and that the judge prefers the stable
   * version's answers ({@code pJudgeWorse}, sign test; 1 without a judge), the verdict and why.
   */
  record SlowEval(
      Outcomes canary,
      Outcomes stable,
      OnlineJudgment judge,
      double pWorse,
      double pBetter,
      double pJudgeWorse,
      Verdict verdict,
      String reason) {}

  record CompleteRequest(
      String key,
      String name,
      int candidate,
      int stable,
      boolean rollOut,
      String actor,
      String reason,
      SlowEval slowEval) {}

  /**
   * What {@link #complete} did: {@code applied} false when the canary had already been ended
   * elsewhere ({@code detail} says by whom and why); {@code serving}: the version serving all
   * traffic now.
   */
  record Completion(boolean applied, int serving, String detail) {}
}
