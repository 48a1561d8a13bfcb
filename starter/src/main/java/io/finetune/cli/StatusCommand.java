package io.finetune.cli;

import io.finetune.workflows.drift.DriftResult;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.pipeline.Stage;
import io.finetune.workflows.training.CandidateResult;
import io.grpc.Status;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflow.v1.PendingChildExecutionInfo;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    mixinStandardHelpOptions = true,
    name = "status",
    description = "Shows a run: stage, open checkpoint, every score so far, decisions, outcome.")
class StatusCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Parameters(paramLabel = "ID", description = "Workflow id")
  String id;

  @Option(
      names = "--wait",
      description = "Wait until the run needs a decision or has ended, then show it")
  boolean await;

  @Override
  public Integer call() throws InterruptedException {
    WorkflowClient client = temporal.connect();
    WorkflowExecutionInfo info = describe(client, id);
    String type = info.getType().getName();
    WorkflowExecutionStatus status = info.getStatus();
    boolean running = status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    if (type.equals("FineTunePipeline")) {
      PipelineStatus s =
          running ? query(client, id) : result(client, id, status, PipelineStatus.class);
      Stage shown = null;
      while (await && running && s.pendingCheckpoint() == null) {
        if (s.stage() != shown) {
          System.err.println("waiting: " + id + " is at stage " + s.stage() + "...");
          shown = s.stage();
        }
        Thread.sleep(500);
        status = describe(client, id).getStatus();
        running = status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
        s = running ? query(client, id) : result(client, id, status, PipelineStatus.class);
      }
      Printer.pipeline(id, s, System.out);
      if (running) {
        printRetries(client, id, System.out);
      }
    } else if (type.equals("DriftCheck")) {
      if (running && !await) {
        System.out.println(id + " (DriftCheck): running");
      } else {
        Printer.drift(id, result(client, id, status, DriftResult.class), System.out);
      }
    } else if (type.equals("TrainCandidate")
        && status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      CandidateResult c = result(client, id, status, CandidateResult.class);
      System.out.println(
          id + " (TrainCandidate): " + c.size() + " " + c.modelId() + " from job " + c.jobId());
      System.out.println("  test: " + Printer.format(c.test().metrics()));
      c.evalSets()
          .forEach((set, r) -> System.out.println("  " + set + ": " + Printer.format(r.metrics())));
    } else {
      System.out.println(id + " (" + type + "): " + Printer.statusName(status));
    }
    return 0;
  }

  /** The status query, which needs a worker: say so plainly when none answers. */
  private static PipelineStatus query(WorkflowClient client, String id) {
    String noWorker =
        id
            + " is RUNNING, but no worker answered its status query: is a worker polling task"
            + " queue fine-tune? Start one with `./finetune worker` (or use `./finetune dev`).";
    if (TemporalOptions.workerPolling(client).equals(Optional.of(false))) {
      throw new UserError(noWorker);
    }
    try {
      return client.newWorkflowStub(FineTunePipeline.class, id).status();
    } catch (RuntimeException e) {
      if (TemporalOptions.isStatus(e, Status.Code.DEADLINE_EXCEEDED)) {
        throw new UserError(noWorker);
      }
      throw e;
    }
  }

  static WorkflowExecutionInfo describe(WorkflowClient client, String id) {
    return describeFull(client, id).getWorkflowExecutionInfo();
  }

  private static DescribeWorkflowExecutionResponse describeFull(WorkflowClient client, String id) {
    try {
      return client
          .getWorkflowServiceStubs()
          .blockingStub()
          .describeWorkflowExecution(
              DescribeWorkflowExecutionRequest.newBuilder()
                  .setNamespace(client.getOptions().getNamespace())
                  .setExecution(
                      io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(id))
                  .build());
    } catch (RuntimeException e) {
      if (TemporalOptions.isStatus(e, Status.Code.NOT_FOUND)) {
        throw new UserError("No run with id '" + id + "' (see `./finetune list`).");
      }
      throw e;
    }
  }

  /**
   * Activities being retried, in the run and in its running children, with their last failure: what
   * a stuck-looking stage is actually waiting for (an unreachable provider, say).
   */
  static void printRetries(WorkflowClient client, String id, PrintStream out) {
    DescribeWorkflowExecutionResponse d = describeFull(client, id);
    for (PendingActivityInfo a : d.getPendingActivitiesList()) {
      if (a.getAttempt() > 1 && a.hasLastFailure()) {
        out.println(
            "  retrying "
                + a.getActivityType().getName()
                + " in "
                + id
                + " (attempt "
                + a.getAttempt()
                + "): "
                + a.getLastFailure().getMessage());
      }
    }
    for (PendingChildExecutionInfo c : d.getPendingChildrenList()) {
      printRetries(client, c.getWorkflowId(), out);
    }
  }

  private static <T> T result(
      WorkflowClient client, String id, WorkflowExecutionStatus status, Class<T> type) {
    WorkflowStub stub = client.newUntypedWorkflowStub(id, Optional.empty(), Optional.empty());
    try {
      return stub.getResult(type);
    } catch (WorkflowFailedException e) {
      throw new UserError(
          id + " ended " + Printer.statusName(status) + ": " + TemporalOptions.rootMessage(e));
    }
  }
}
