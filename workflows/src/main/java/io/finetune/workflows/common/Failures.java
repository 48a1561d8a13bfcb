package io.finetune.workflows.common;

import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;

/**
 * The failure types workflows and activities raise, in one place, so that callers, retry policies
 * and the CLI can tell them apart.
 */
public final class Failures {
  /** Input that no retry can fix: a bad dataset row, a missing file, an unknown provider. */
  public static final String INVALID_INPUT = "InvalidInput";

  /** The provider refused the request (4xx other than 408/409/429): retrying won't help. */
  public static final String PROVIDER_REJECTED = "ProviderRejected";

  /** The provider did not answer or answered 408/409/429/5xx: worth retrying. */
  public static final String PROVIDER_UNAVAILABLE = "ProviderUnavailable";

  /**
   * A training file breaks the provider's documented rules (format, roles, example count, length):
   * found before it is uploaded, so nothing is spent; the message names the lines.
   */
  public static final String TRAINING_FILE_INVALID = "TrainingFileInvalid";

  /** A fine-tuning job ended as failed or cancelled. */
  public static final String TRAINING_FAILED = "TrainingFailed";

  /** Every candidate of a pipeline failed to train: there is nothing to review or promote. */
  public static final String ALL_CANDIDATES_FAILED = "AllCandidatesFailed";

  /**
   * A decision refused because its sender's identity could not be verified (the spec's {@code
   * approval.requireToken}): no approver token, or a wrong one.
   */
  public static final String DECISION_REFUSED = "DecisionRefused";

  private Failures() {}

  public static ApplicationFailure invalidInput(String message) {
    return ApplicationFailure.newNonRetryableFailure(message, INVALID_INPUT);
  }

  /** A workflow being cancelled is not an activity that failed: the cancellation goes on. */
  public static void rethrowIfCancelled(ActivityFailure e) {
    if (e.getCause() instanceof CanceledFailure cancelled) {
      throw cancelled;
    }
  }

  /** The innermost failure's own message: it says why (e.g. the provider's refusal). */
  public static String innermostMessage(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof TemporalFailure f ? f.getOriginalMessage() : cause.getMessage();
  }
}
