package io.finetune.cli;

import io.grpc.Status;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.filter.v1.WorkflowExecutionFilter;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsResponse;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsResponse;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc.WorkflowServiceBlockingStub;
import io.temporal.client.WorkflowClient;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;

/**
 * The runs of a workflow id. A workflow id can have several runs (a {@code start --rerun} makes a
 * new one); commands address the latest, pin its run id so that a rerun started meanwhile does not
 * switch runs under them, and say which run they address.
 */
final class Runs {
  /** Stop counting after this many pages: a count is a hint, not worth a long wait. */
  private static final int MAX_PAGES = 10;

  private Runs() {}

  /** The latest run of a workflow id, and how many runs the id has (when the server can say). */
  record Run(
      String workflowId,
      String runId,
      String type,
      WorkflowExecutionStatus status,
      Instant startTime,
      Instant closeTime,
      OptionalInt runsOfId) {

    boolean isOpen() {
      return status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    }

    /** E.g. "run 5f3c..., the latest of 2 runs of this id". */
    String which() {
      if (runsOfId.isEmpty()) {
        return "latest run " + runId;
      }
      int n = runsOfId.getAsInt();
      return n <= 1
          ? "run " + runId + ", the only run of this id"
          : "run " + runId + ", the latest of " + n + " runs of this id";
    }

    /** E.g. "ended COMPLETED at 2026-11-30T10:00:00Z", or "RUNNING since ...". */
    String state() {
      return isOpen()
          ? "RUNNING since " + startTime
          : "ended " + Printer.statusName(status) + (closeTime == null ? "" : " at " + closeTime);
    }
  }

  /** The latest run of {@code id}, or empty when the id has never run. */
  static Optional<Run> latest(WorkflowClient client, String id) {
    DescribeWorkflowExecutionResponse d;
    try {
      d = describe(client, id, "");
    } catch (RuntimeException e) {
      if (TemporalOptions.isStatus(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw e;
    }
    WorkflowExecutionInfo i = d.getWorkflowExecutionInfo();
    String runId = i.getExecution().getRunId();
    return Optional.of(
        new Run(
            id,
            runId,
            i.getType().getName(),
            i.getStatus(),
            instant(i.hasStartTime(), i.getStartTime()),
            instant(i.hasCloseTime(), i.getCloseTime()),
            count(client, id, runId)));
  }

  /** The latest run of {@code id}; an id that has never run is the user's mistake. */
  static Run latestOrFail(WorkflowClient client, String id) {
    return latest(client, id)
        .orElseThrow(() -> new UserError("No run with id '" + id + "' (see `./finetune list`)."));
  }

  static DescribeWorkflowExecutionResponse describe(
      WorkflowClient client, String id, String runId) {
    return client
        .getWorkflowServiceStubs()
        .blockingStub()
        .describeWorkflowExecution(
            DescribeWorkflowExecutionRequest.newBuilder()
                .setNamespace(client.getOptions().getNamespace())
                // No run id (null or empty): the latest run of the id.
                .setExecution(
                    WorkflowExecution.newBuilder()
                        .setWorkflowId(id)
                        .setRunId(runId == null ? "" : runId))
                .build());
  }

  /**
   * How many runs {@code id} has: by a visibility query on a real server, by the older open/closed
   * listings filtered by workflow id where there is no query-based visibility (the embedded dev
   * server), or empty when neither answers. The run just described always counts.
   */
  static OptionalInt count(WorkflowClient client, String id, String knownRunId) {
    WorkflowServiceBlockingStub stub = client.getWorkflowServiceStubs().blockingStub();
    String ns = client.getOptions().getNamespace();
    Set<String> runIds = new HashSet<>();
    if (!id.contains("'") && !id.contains("\\")) {
      try {
        collect(
            runIds,
            token ->
                stub.listWorkflowExecutions(
                    ListWorkflowExecutionsRequest.newBuilder()
                        .setNamespace(ns)
                        .setQuery("WorkflowId = '" + id + "'")
                        .setPageSize(100)
                        .setNextPageToken(token)
                        .build()),
            ListWorkflowExecutionsResponse::getExecutionsList,
            ListWorkflowExecutionsResponse::getNextPageToken);
        runIds.add(knownRunId);
        return OptionalInt.of(runIds.size());
      } catch (RuntimeException e) {
        runIds.clear(); // e.g. UNIMPLEMENTED: try the older listings
      }
    }
    try {
      WorkflowExecutionFilter filter =
          WorkflowExecutionFilter.newBuilder().setWorkflowId(id).build();
      collect(
          runIds,
          token ->
              stub.listOpenWorkflowExecutions(
                  ListOpenWorkflowExecutionsRequest.newBuilder()
                      .setNamespace(ns)
                      .setExecutionFilter(filter)
                      .setMaximumPageSize(100)
                      .setNextPageToken(token)
                      .build()),
          ListOpenWorkflowExecutionsResponse::getExecutionsList,
          ListOpenWorkflowExecutionsResponse::getNextPageToken);
      collect(
          runIds,
          token ->
              stub.listClosedWorkflowExecutions(
                  ListClosedWorkflowExecutionsRequest.newBuilder()
                      .setNamespace(ns)
                      .setExecutionFilter(filter)
                      .setMaximumPageSize(100)
                      .setNextPageToken(token)
                      .build()),
          ListClosedWorkflowExecutionsResponse::getExecutionsList,
          ListClosedWorkflowExecutionsResponse::getNextPageToken);
      runIds.add(knownRunId);
      return OptionalInt.of(runIds.size());
    } catch (RuntimeException e) {
      return OptionalInt.empty(); // the server cannot say; the run id alone will do
    }
  }

  private static <R> void collect(
      Set<String> runIds,
      Function<com.google.protobuf.ByteString, R> page,
      Function<R, List<WorkflowExecutionInfo>> executions,
      Function<R, com.google.protobuf.ByteString> next) {
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    for (int i = 0; i < MAX_PAGES; i++) {
      R r = page.apply(token);
      for (WorkflowExecutionInfo info : executions.apply(r)) {
        runIds.add(info.getExecution().getRunId());
      }
      token = next.apply(r);
      if (token.isEmpty()) {
        return;
      }
    }
  }

  private static Instant instant(boolean present, com.google.protobuf.Timestamp t) {
    return present && (t.getSeconds() != 0 || t.getNanos() != 0)
        ? Instant.ofEpochSecond(t.getSeconds())
        : null;
  }
}
