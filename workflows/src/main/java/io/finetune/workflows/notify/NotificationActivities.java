package io.finetune.workflows.notify;

import io.temporal.activity.ActivityInterface;

/**
 * Messages to people: a reminder that a checkpoint waits, posted to the webhook the worker is
 * configured with (its URL is a secret: it never enters workflow history).
 */
@ActivityInterface
public interface NotificationActivities {

  /**
   * Posts {@code reminder} as generic JSON that Slack's incoming webhooks accept ({@code text},
   * plus the fields); says whether it was sent (false: no webhook configured).
   */
  boolean remind(Reminder reminder);

  /**
   * A checkpoint that has waited {@code waitedSeconds}; {@code key} is unique per reminder (the
   * run, the checkpoint, the count), for receivers that drop a retried post.
   */
  record Reminder(
      String key,
      String workflowId,
      String model,
      String checkpoint,
      long waitedSeconds,
      Long timeoutInSeconds,
      String report,
      String howToDecide) {}
}
