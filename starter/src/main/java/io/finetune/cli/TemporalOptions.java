package io.finetune.cli;

import io.finetune.workflows.TaskQueues;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.TemporalFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where Temporal is, following Temporal's own conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE).
 */
class TemporalOptions {
  @Option(
      names = "--address",
      description = "Temporal frontend host:port (default: $TEMPORAL_ADDRESS or localhost:7233)")
  String address;

  @Option(
      names = "--namespace",
      description = "Temporal namespace (default: $TEMPORAL_NAMESPACE or default)")
  String namespace;

  String address() {
    if (address != null) {
      return address;
    }
    String env = System.getenv("TEMPORAL_ADDRESS");
    return env == null || env.isBlank() ? "localhost:7233" : env;
  }

  String namespace() {
    if (namespace != null) {
      return namespace;
    }
    String env = System.getenv("TEMPORAL_NAMESPACE");
    return env == null || env.isBlank() ? "default" : env;
  }

  /** Connects, or fails with a message that says what to do when nothing answers. */
  WorkflowClient connect() {
    return connect(address(), namespace());
  }

  static WorkflowClient connect(String address, String namespace) {
    WorkflowServiceStubs stubs;
    try {
      stubs =
          WorkflowServiceStubs.newConnectedServiceStubs(
              WorkflowServiceStubsOptions.newBuilder()
                  .setTarget(address)
                  // A query waits for a worker; don't keep a person waiting for a minute.
                  .setRpcQueryTimeout(Duration.ofSeconds(15))
                  .build(),
              Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      throw new UserError(
          "No Temporal server answers at "
              + address
              + " ("
              + rootMessage(e)
              + ").\n  Start one with `./finetune dev` (embedded, in memory) or `docker compose up`,"
              + " or point TEMPORAL_ADDRESS / --address at yours.");
    }
    return WorkflowClient.newInstance(
        stubs, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
  }

  /** A readable, unique-enough workflow id: {@code <prefix>-<yyyyMMdd-HHmmss>}. */
  static String newWorkflowId(String prefix) {
    return prefix
        + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
  }

  /**
   * Options for a workflow of ours: the given id on the fine-tune task queue, with a one-line
   * summary that the Web UI shows in its run list.
   */
  static WorkflowOptions workflowOptions(String workflowId, String summary) {
    return WorkflowOptions.newBuilder()
        .setWorkflowId(workflowId)
        .setTaskQueue(TaskQueues.FINE_TUNE)
        .setStaticSummary(summary)
        .build();
  }

  /**
   * Whether a worker polled the fine-tune task queue lately, or empty when the server cannot say
   * (not every server implements DescribeTaskQueue).
   */
  static Optional<Boolean> workerPolling(WorkflowClient client) {
    try {
      DescribeTaskQueueResponse r =
          client
              .getWorkflowServiceStubs()
              .blockingStub()
              .describeTaskQueue(
                  DescribeTaskQueueRequest.newBuilder()
                      .setNamespace(client.getOptions().getNamespace())
                      .setTaskQueue(TaskQueue.newBuilder().setName(TaskQueues.FINE_TUNE))
                      .setTaskQueueType(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
                      .build());
      return Optional.of(r.getPollersCount() > 0);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  static boolean isStatus(Throwable e, Status.Code code) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException s && s.getStatus().getCode() == code) {
        return true;
      }
    }
    return false;
  }

  /** The innermost cause's message; for Temporal failures, the message as it was raised. */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    if (t instanceof TemporalFailure f && f.getOriginalMessage() != null) {
      return f.getOriginalMessage();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
