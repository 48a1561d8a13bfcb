package io.finetune.workflows.common;

import io.finetune.workflows.approval.ApproverActivities;
import io.finetune.workflows.dataset.DatasetActivities;
import io.finetune.workflows.drift.DriftActivities;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.JudgeActivities;
import io.finetune.workflows.notify.NotificationActivities;
import io.finetune.workflows.registry.RegistryActivities;
import io.finetune.workflows.rollout.RolloutActivities;
import io.finetune.workflows.training.TrainingActivities;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.common.metadata.POJOActivityInterfaceMetadata;
import io.temporal.common.metadata.POJOActivityMethodMetadata;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Activity stubs with the timeouts and retry policy every workflow uses, in one place. Call from
 * workflow code only (e.g. field initializers of a workflow implementation).
 *
 * <p>A worker may override the timeouts per activity type ({@link #timeoutOverrides}, given to
 * {@code WorkflowImplementationOptions.setActivityOptions}): the SDK merges those over the options
 * below field by field when it schedules an activity, so workflow code is unchanged and histories
 * replay (timeouts are not compared on replay).
 */
public final class ActivityStubs {
  /** Every activity interface the workflows call. */
  private static final List<Class<?>> INTERFACES =
      List.of(
          DatasetActivities.class,
          DriftActivities.class,
          RegistryActivities.class,
          EvalActivities.class,
          JudgeActivities.class,
          TrainingActivities.class,
          RolloutActivities.class,
          NotificationActivities.class,
          ApproverActivities.class);

  /**
   * Transient failures are retried with backoff, for as long as the activity's schedule-to-close
   * timeout allows (an outage of a provider can last tens of minutes), not a number of attempts;
   * non-retryable ones (bad input, a refusal) are not.
   */
  private static final RetryOptions RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(1))
          .setMaximumInterval(Duration.ofMinutes(1))
          .build();

  /** How long a quick activity keeps being retried through an outage. */
  private static final Duration OUTAGE_LIMIT = Duration.ofHours(2);

  private ActivityStubs() {}

  private static ActivityOptions quick(Duration startToClose) {
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(startToClose)
        .setScheduleToCloseTimeout(OUTAGE_LIMIT)
        .setRetryOptions(RETRY)
        .build();
  }

  /** Long work that heartbeats: a lost worker is noticed within the heartbeat timeout. */
  private static ActivityOptions heartbeating(Duration startToClose, Duration heartbeat) {
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(startToClose)
        .setScheduleToCloseTimeout(startToClose.multipliedBy(2))
        .setHeartbeatTimeout(heartbeat)
        .setRetryOptions(RETRY)
        .build();
  }

  public static DatasetActivities dataset() {
    return Workflow.newActivityStub(DatasetActivities.class, quick(Duration.ofMinutes(30)));
  }

  public static DriftActivities drift() {
    return Workflow.newActivityStub(DriftActivities.class, quick(Duration.ofMinutes(30)));
  }

  public static RegistryActivities registry() {
    return Workflow.newActivityStub(RegistryActivities.class, quick(Duration.ofMinutes(1)));
  }

  /**
   * Reminders: a post to a webhook. A few attempts only: a reminder that cannot be sent is noted,
   * not worth holding the checkpoint's timers up.
   */
  public static NotificationActivities notifications() {
    return Workflow.newActivityStub(
        NotificationActivities.class,
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofSeconds(30))
            .setRetryOptions(RetryOptions.newBuilder(RETRY).setMaximumAttempts(3).build())
            .build());
  }

  /**
   * The check of a decision's approver token: one database read. A person waits for it (an Update
   * of the CLI), so its retries stop after a few minutes and the decision is refused with why.
   */
  public static ApproverActivities approvers() {
    return Workflow.newActivityStub(
        ApproverActivities.class,
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofSeconds(30))
            .setScheduleToCloseTimeout(Duration.ofMinutes(2))
            .setRetryOptions(RETRY)
            .build());
  }

  /** The traffic split and the slow eval: database reads and writes. */
  public static RolloutActivities rollout() {
    return Workflow.newActivityStub(RolloutActivities.class, quick(Duration.ofMinutes(5)));
  }

  /** The online judge asks the stable version and the judge per sampled trace, and heartbeats. */
  public static RolloutActivities rolloutJudge() {
    return Workflow.newActivityStub(
        RolloutActivities.class, heartbeating(Duration.ofHours(6), Duration.ofMinutes(2)));
  }

  /** Evals call the provider row by row and heartbeat their offset. */
  public static EvalActivities eval() {
    return Workflow.newActivityStub(
        EvalActivities.class, heartbeating(Duration.ofHours(6), Duration.ofMinutes(2)));
  }

  /** The judge calls the provider twice per pair and heartbeats, as evals do. */
  public static JudgeActivities judge() {
    return Workflow.newActivityStub(
        JudgeActivities.class, heartbeating(Duration.ofHours(6), Duration.ofMinutes(2)));
  }

  /** Training steps that return quickly: file, upload, job creation. */
  public static TrainingActivities training() {
    return Workflow.newActivityStub(TrainingActivities.class, quick(Duration.ofMinutes(30)));
  }

  /**
   * Waiting for a provider's job (minutes to hours). The poll loop heartbeats, so a lost worker is
   * noticed in a minute and the retry picks up the same job instead of starting another.
   */
  public static TrainingActivities trainingPoll() {
    // Cancelling a run waits until the poll has cancelled the provider's job: a run shown as
    // cancelled is no longer paying for training.
    ActivityOptions options =
        ActivityOptions.newBuilder(heartbeating(Duration.ofHours(24), Duration.ofMinutes(1)))
            .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
            .build();
    return Workflow.newActivityStub(TrainingActivities.class, options);
  }

  /**
   * Whether an activity heartbeats (evals, the judge, the training poll): a lost worker's attempt
   * is retried after the heartbeat timeout. The others are retried only after their start-to-close
   * timeout.
   */
  static boolean heartbeats(POJOActivityMethodMetadata method) {
    return method.getMethod().getDeclaringClass() == EvalActivities.class
        || method.getMethod().getDeclaringClass() == JudgeActivities.class
        || (method.getMethod().getDeclaringClass() == RolloutActivities.class
            && method.getMethod().getName().equals("judgeCanary"))
        || (method.getMethod().getDeclaringClass() == TrainingActivities.class
            && method.getMethod().getName().equals("awaitJob"));
  }

  /**
   * Per activity type, a worker's overrides of the timeouts above: {@code heartbeatTimeout} for the
   * activities that heartbeat, {@code startToCloseTimeout} for those that do not (how long a worker
   * lost mid-activity holds it up); null keeps the coded value.
   */
  public static Map<String, ActivityOptions> timeoutOverrides(
      Duration heartbeatTimeout, Duration startToCloseTimeout) {
    requirePositive("heartbeat timeout", heartbeatTimeout);
    requirePositive("start-to-close timeout", startToCloseTimeout);
    Map<String, ActivityOptions> overrides = new TreeMap<>();
    for (Class<?> type : INTERFACES) {
      for (POJOActivityMethodMetadata m :
          POJOActivityInterfaceMetadata.newInstance(type).getMethodsMetadata()) {
        Duration heartbeat = heartbeats(m) ? heartbeatTimeout : null;
        Duration startToClose = heartbeats(m) ? null : startToCloseTimeout;
        if (heartbeat != null || startToClose != null) {
          overrides.put(
              m.getActivityTypeName(),
              ActivityOptions.newBuilder()
                  .setHeartbeatTimeout(heartbeat)
                  .setStartToCloseTimeout(startToClose)
                  .build());
        }
      }
    }
    return overrides;
  }

  private static void requirePositive(String what, Duration d) {
    if (d != null && (d.isZero() || d.isNegative())) {
      throw new IllegalArgumentException("The " + what + " must be positive, not " + d);
    }
  }
}
