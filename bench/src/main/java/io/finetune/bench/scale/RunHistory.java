package io.finetune.bench.scale;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.util.Timestamps;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a whole run wrote to Temporal: its history and those of its child workflows (followed from
 * their started events, recursively): events, bytes, the largest single payload anywhere in them
 * (inputs, results, signals, markers, search attributes, memo, failures), workflow tasks, and each
 * activity's type with its start and completion times.
 */
public record RunHistory(
    int workflows,
    int events,
    long bytes,
    long largestPayload,
    String largestPayloadAt,
    int workflowTasks,
    List<Activity> activities,
    List<long[]> workflowTaskTimes) {

  /**
   * Mean over the run's workflow tasks of {@code [schedule to start, start to completion]} in ms:
   * the wait for a worker to pick the task up, and the worker's work on it with the server's
   * recording of its completion.
   */
  public double[] meanWorkflowTaskMillis() {
    return meanTimes(workflowTaskTimes);
  }

  /** {@link #meanWorkflowTaskMillis} over the tasks of several runs. */
  public static double[] meanTimes(List<long[]> times) {
    double wait = times.stream().mapToLong(t -> t[0]).average().orElse(0);
    double work = times.stream().mapToLong(t -> t[1]).average().orElse(0);
    return new double[] {wait, work};
  }

  /** One completed activity: its type, when it started and when it completed (epoch ms). */
  public record Activity(String type, long startedMillis, long completedMillis) {}

  public static RunHistory of(WorkflowClient client, String workflowId) {
    Acc acc = new Acc();
    collect(client, WorkflowExecution.newBuilder().setWorkflowId(workflowId).build(), acc);
    return new RunHistory(
        acc.workflows,
        acc.events,
        acc.bytes,
        acc.largest,
        acc.largestAt,
        acc.workflowTasks,
        List.copyOf(acc.activities),
        List.copyOf(acc.workflowTaskTimes));
  }

  /** Activities of a type (null: every type). */
  public List<Activity> activities(String type) {
    return activities.stream().filter(a -> type == null || a.type().equals(type)).toList();
  }

  /** The activities of any of {@code types}. */
  public List<Activity> activities(java.util.Set<String> types) {
    return activities.stream().filter(a -> types.contains(a.type())).toList();
  }

  /** From the first start to the last completion of activities of {@code types}, in seconds. */
  public double span(java.util.Set<String> types) {
    List<Activity> of = activities(types);
    long first = of.stream().mapToLong(Activity::startedMillis).min().orElse(0);
    long last = of.stream().mapToLong(Activity::completedMillis).max().orElse(0);
    return (last - first) / 1000.0;
  }

  private static final class Acc {
    int workflows;
    int events;
    long bytes;
    long largest;
    String largestAt = "";
    int workflowTasks;
    final List<Activity> activities = new ArrayList<>();
    final List<long[]> workflowTaskTimes = new ArrayList<>();
  }

  private static void collect(WorkflowClient client, WorkflowExecution execution, Acc acc) {
    WorkflowExecutionHistory history =
        execution.getRunId().isEmpty()
            ? client.fetchHistory(execution.getWorkflowId())
            : client.fetchHistory(execution.getWorkflowId(), execution.getRunId());
    acc.workflows++;
    acc.bytes += history.getHistory().getSerializedSize();
    Map<Long, String> scheduled = new HashMap<>();
    Map<Long, Long> started = new HashMap<>();
    Map<Long, Long> taskScheduled = new HashMap<>();
    Map<Long, long[]> taskStarted = new HashMap<>();
    for (HistoryEvent e : history.getEvents()) {
      acc.events++;
      long size = largestPayload(e);
      if (size > acc.largest) {
        acc.largest = size;
        acc.largestAt =
            execution.getWorkflowId() + " event " + e.getEventId() + " " + e.getEventType();
      }
      long at = Timestamps.toMillis(e.getEventTime());
      EventType type = e.getEventType();
      if (type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) {
        taskScheduled.put(e.getEventId(), at);
      } else if (type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
        long s = e.getWorkflowTaskStartedEventAttributes().getScheduledEventId();
        taskStarted.put(e.getEventId(), new long[] {taskScheduled.getOrDefault(s, at), at});
      } else if (type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
        acc.workflowTasks++;
        long[] t = taskStarted.get(e.getWorkflowTaskCompletedEventAttributes().getStartedEventId());
        if (t != null) {
          acc.workflowTaskTimes.add(new long[] {t[1] - t[0], at - t[1]});
        }
      } else if (type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        scheduled.put(
            e.getEventId(),
            e.getActivityTaskScheduledEventAttributes().getActivityType().getName());
      } else if (type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        started.put(e.getActivityTaskStartedEventAttributes().getScheduledEventId(), at);
      } else if (type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
        long id = e.getActivityTaskCompletedEventAttributes().getScheduledEventId();
        acc.activities.add(new Activity(scheduled.get(id), started.getOrDefault(id, at), at));
      } else if (type == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
        collect(
            client,
            e.getChildWorkflowExecutionStartedEventAttributes().getWorkflowExecution(),
            acc);
      }
    }
  }

  /** The largest {@link Payload} anywhere inside {@code m}, in serialized bytes (0: none). */
  static long largestPayload(Message m) {
    if (m instanceof Payload p) {
      return p.getSerializedSize();
    }
    long largest = 0;
    for (Map.Entry<FieldDescriptor, Object> f : m.getAllFields().entrySet()) {
      if (f.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (f.getValue() instanceof List<?> list) {
        for (Object o : list) {
          largest = Math.max(largest, largestPayload((Message) o));
        }
      } else {
        largest = Math.max(largest, largestPayload((Message) f.getValue()));
      }
    }
    return largest;
  }
}
