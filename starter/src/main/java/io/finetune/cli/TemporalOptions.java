package io.finetune.cli;

import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.codec.PayloadEncryption;
import io.finetune.workflows.common.Failures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.common.converter.DataConverter;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where Temporal is and how to reach it, following Temporal's own client conventions: the
 * environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
 * TEMPORAL_PROFILE) and the Temporal CLI's config file, read by the SDK's envconfig module.
 */
class TemporalOptions {
  static final String DEFAULT_ADDRESS = "localhost:7233";
  static final String DEFAULT_NAMESPACE = "default";

  @Option(
      names = "--address",
      description = "Temporal frontend host:port (default: $TEMPORAL_ADDRESS or localhost:7233)")
  String address;

  @Option(
      names = "--namespace",
      description = "Temporal namespace (default: $TEMPORAL_NAMESPACE or default)")
  String namespace;

  private ClientConfigProfile profile;

  /** The client profile: options over environment and config file over the defaults. */
  ClientConfigProfile profile() {
    if (profile == null) {
      ClientConfigProfile loaded;
      try {
        loaded = ClientConfigProfile.load();
      } catch (IOException | RuntimeException e) {
        throw new UserError("Cannot read the Temporal client configuration: " + rootMessage(e));
      }
      ClientConfigProfile.Builder b = loaded.toBuilder();
      if (address != null) {
        b.setAddress(address);
      } else if (isBlank(loaded.getAddress())) {
        b.setAddress(DEFAULT_ADDRESS);
      }
      if (namespace != null) {
        b.setNamespace(namespace);
      } else if (isBlank(loaded.getNamespace())) {
        b.setNamespace(DEFAULT_NAMESPACE);
      }
      profile = b.build();
    }
    return profile;
  }

  String address() {
    return profile().getAddress();
  }

  String namespace() {
    return profile().getNamespace();
  }

  /** Connects, or fails with a message that says what to do when nothing answers. */
  WorkflowClient connect() {
    return connect(profile());
  }

  /** Connects to a plain (no TLS, no key) server, such as the embedded dev server. */
  static WorkflowClient connect(String address, String namespace) {
    return connect(
        ClientConfigProfile.newBuilder().setAddress(address).setNamespace(namespace).build());
  }

  private static WorkflowClient connect(ClientConfigProfile p) {
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder(p.toWorkflowServiceStubsOptions())
                // A query waits for a worker; don't keep a person waiting for a minute.
                .setRpcQueryTimeout(Duration.ofSeconds(15))
                .build());
    try {
      stubs.connect(Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      stubs.shutdownNow(); // no channel left trying to reconnect
      throw new UserError(
          "No Temporal server answers at "
              + p.getAddress()
              + " ("
              + rootMessage(e)
              + ").\n  Start one with `./finetune dev` (embedded, in memory) or `docker compose up`,"
              + " or point TEMPORAL_ADDRESS / --address at yours.");
    }
    return WorkflowClient.newInstance(
        stubs,
        WorkflowClientOptions.newBuilder(p.toWorkflowClientOptions())
            .setDataConverter(dataConverter())
            .build());
  }

  /**
   * The worker's converter: payloads encrypted with the keys of FINETUNE_ENCRYPTION_KEYS, if set.
   */
  static DataConverter dataConverter() {
    try {
      return PayloadEncryption.fromEnvironment();
    } catch (IllegalArgumentException badKeys) {
      throw new UserError(badKeys.getMessage());
    }
  }

  /** A schedule client on {@code client}'s connection, namespace and converter. */
  static ScheduleClient schedules(WorkflowClient client) {
    return ScheduleClient.newInstance(
        client.getWorkflowServiceStubs(),
        ScheduleClientOptions.newBuilder()
            .setNamespace(client.getOptions().getNamespace())
            .setDataConverter(client.getOptions().getDataConverter())
            .build());
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  /** A readable, unique-enough workflow id: {@code <prefix>-<yyyyMMdd-HHmmss>}. */
  static String newWorkflowId(String prefix) {
    return prefix
        + "-"
        + LocalDateTime.now(ZoneId.systemDefault())
            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
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

  /** Whether the run failed on input no retry can fix (an activity's InvalidInput failure). */
  static boolean isInvalidInput(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure f && Failures.INVALID_INPUT.equals(f.getType())) {
        return true;
      }
    }
    return false;
  }
}
