package io.finetune.cli;

import io.finetune.workflows.eval.EvalActivities.EvalProgress;
import io.finetune.workflows.training.TrainingActivities.JobProgress;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflow.v1.PendingChildExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.common.converter.DataConverter;
import io.temporal.failure.TemporalFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Live progress of a run's long steps, read from the heartbeats of its pending activities and those
 * of its running children (a describe call): rows evaluated with rate and ETA, the provider job's
 * status and latest event, and any step being retried with its last error. Nothing is added to the
 * run's history.
 */
final class Progress {
  private Progress() {}

  /** One line per pending step of run {@code runId} of {@code id} and of its children. */
  static List<String> lines(WorkflowClient client, String id, String runId) {
    List<String> lines = new ArrayList<>();
    collect(client, id, runId, lines);
    return lines;
  }

  private static void collect(WorkflowClient client, String id, String runId, List<String> out) {
    DescribeWorkflowExecutionResponse d = Runs.describe(client, id, runId);
    long now = System.currentTimeMillis();
    DataConverter converter = client.getOptions().getDataConverter();
    List<EvalProgress> shards = new ArrayList<>();
    for (PendingActivityInfo a : d.getPendingActivitiesList()) {
      String step = a.getActivityType().getName();
      if (a.getAttempt() > 1 && a.hasLastFailure()) {
        out.add(
            "  retrying "
                + step
                + " in "
                + id
                + " (attempt "
                + a.getAttempt()
                + "): "
                + message(converter, a.getLastFailure()));
      }
      if (a.hasHeartbeatDetails() && step.equals(SHARD)) {
        // A large eval's shards run side by side: one line for them all.
        decode(converter, a.getHeartbeatDetails(), EvalProgress.class)
            .filter(p -> p.total() > 0)
            .ifPresent(shards::add);
      } else if (a.hasHeartbeatDetails()) {
        decode(converter, a.getHeartbeatDetails(), EvalProgress.class)
            .filter(p -> p.total() > 0)
            .ifPresent(p -> out.add("  " + step + " in " + id + ": " + describe(p, now)));
        decode(converter, a.getHeartbeatDetails(), JobProgress.class)
            .filter(p -> p.jobId() != null)
            .ifPresent(p -> out.add("  " + step + " in " + id + ": " + describe(p)));
      }
    }
    if (!shards.isEmpty()) {
      out.add(
          "  "
              + SHARD
              + " in "
              + id
              + " ("
              + shards.size()
              + (shards.size() == 1 ? " shard" : " shards")
              + " running): "
              + describe(summed(shards), now));
    }
    for (PendingChildExecutionInfo c : d.getPendingChildrenList()) {
      collect(client, c.getWorkflowId(), c.getRunId(), out);
    }
  }

  /** The activity that answers one shard of a large eval. */
  static final String SHARD = "AnswerShard";

  /**
   * The running shards of an eval as one: their rows summed, timed from the earliest attempt's
   * start (so the rate is theirs together).
   */
  static EvalProgress summed(List<EvalProgress> shards) {
    int done = 0;
    int total = 0;
    int resumed = 0;
    long start = Long.MAX_VALUE;
    for (EvalProgress p : shards) {
      done += p.done();
      total += p.total();
      resumed += p.resumedFrom();
      start = Math.min(start, p.attemptStartedAtMillis());
    }
    return new EvalProgress(done, total, resumed, start);
  }

  static String describe(EvalProgress p, long nowMillis) {
    StringBuilder s =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%d/%d rows evaluated (%.0f%%)",
                p.done(),
                p.total(),
                100.0 * p.done() / p.total()));
    double seconds = (nowMillis - p.attemptStartedAtMillis()) / 1000.0;
    int answered = p.done() - p.resumedFrom();
    if (seconds > 0 && answered > 0) {
      double rate = answered / seconds;
      s.append(
          String.format(
              Locale.ROOT,
              ", %.1f rows/s, about %.0f s left",
              rate,
              (p.total() - p.done()) / rate));
    }
    if (p.resumedFrom() > 0) {
      s.append(" (resumed at row ").append(p.resumedFrom()).append(')');
    }
    return s.toString();
  }

  static String describe(JobProgress p) {
    return "provider job "
        + p.jobId()
        + " "
        + p.status()
        + (p.latestEvent() == null ? "" : ": " + p.latestEvent());
  }

  /** A failure's message, decrypted when payloads are encrypted (failure messages are too). */
  private static String message(DataConverter converter, Failure failure) {
    try {
      RuntimeException e = converter.failureToException(failure);
      return e instanceof TemporalFailure t ? t.getOriginalMessage() : e.getMessage();
    } catch (RuntimeException unreadable) {
      return failure.getMessage();
    }
  }

  /** The heartbeat as {@code type}, or empty when it is something else. */
  private static <T> Optional<T> decode(DataConverter converter, Payloads details, Class<T> type) {
    try {
      return Optional.ofNullable(converter.fromPayloads(0, Optional.of(details), type, type));
    } catch (RuntimeException otherKind) {
      return Optional.empty();
    }
  }
}
