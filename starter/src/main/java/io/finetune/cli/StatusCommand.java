package io.finetune.cli;

import io.finetune.workflows.WorkflowTypes;
import io.finetune.workflows.drift.DriftResult;
import io.finetune.workflows.eval.EvalRun;
import io.finetune.workflows.eval.EvalRunResult;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.rollout.Rollout;
import io.finetune.workflows.rollout.RolloutResult;
import io.finetune.workflows.rollout.RolloutStatus;
import io.finetune.workflows.training.CandidateResult;
import io.grpc.Status;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "status",
    description =
        "Shows the latest run of an id: stage, open checkpoint, every score so far (each with its"
            + " comparison with the previous run of the spec on the same set), decisions,"
            + " outcome; or an eval's table.")
class StatusCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Parameters(paramLabel = "ID", description = "Workflow id")
  String id;

  @Option(
      names = "--wait",
      description = "Wait until the run needs a decision or has ended, then show it")
  boolean await;

  @Spec CommandSpec spec;

  /** Where progress goes while waiting: stderr, so that stdout is the status alone. */
  PrintWriter progressOut(PrintWriter out, PrintWriter err) {
    return err;
  }

  @Override
  public Integer call() throws InterruptedException {
    WorkflowClient client = temporal.connect();
    try {
      return show(client, spec.commandLine().getOut(), spec.commandLine().getErr());
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  private int show(WorkflowClient client, PrintWriter out, PrintWriter err)
      throws InterruptedException {
    // The latest run, pinned by its run id: a rerun started meanwhile does not switch runs.
    Runs.Run run = Runs.latestOrFail(client, id);
    String runId = run.runId();
    String type = run.type();
    WorkflowExecutionStatus status = run.status();
    boolean running = run.isOpen();
    out.println(id + ": " + run.which());
    WebUi.run(temporal.address(), temporal.namespace(), id, runId)
        .ifPresent(link -> out.println("  Web UI: " + link));
    if (type.equals(WorkflowTypes.FINE_TUNE_PIPELINE)) {
      PipelineStatus s =
          running
              ? query(client, id, runId)
              : result(client, id, runId, status, PipelineStatus.class);
      if (await && running && s.pendingCheckpoint() == null) {
        err.println(
            "waiting: "
                + id
                + " is at stage "
                + s.stage()
                + "; waiting until a decision is needed or the run ends...");
        err.flush();
        PrintWriter live = progressOut(out, err);
        Optional<PipelineStatus> needed =
            Waits.untilDecisionNeeded(
                client,
                id,
                runId,
                lines -> {
                  lines.forEach(live::println);
                  live.flush();
                });
        if (needed.isPresent() && needed.get().outcome() == null) {
          s = needed.get();
        } else {
          status = Runs.describe(client, id, runId).getWorkflowExecutionInfo().getStatus();
          running = status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
          s =
              running
                  ? needed.orElseThrow()
                  : result(client, id, runId, status, PipelineStatus.class);
        }
      }
      Printer.pipeline(id, s, out);
      if (running) {
        Progress.lines(client, id, runId).forEach(out::println);
      }
    } else if (type.equals(WorkflowTypes.DRIFT_CHECK)) {
      if (running && !await) {
        out.println(id + " (DriftCheck): running");
      } else {
        Printer.drift(id, result(client, id, runId, status, DriftResult.class), out);
      }
    } else if (type.equals(WorkflowTypes.EVAL_RUN)) {
      EvalRunResult r =
          running
              ? queryEval(client, id, runId)
              : result(client, id, runId, status, EvalRunResult.class);
      Printer.evalRun(id, r, out);
      if (running) {
        Progress.lines(client, id, runId).forEach(out::println);
      }
    } else if (type.equals(WorkflowTypes.ROLLOUT)) {
      Printer.rollout(
          id,
          running
              ? query(
                  client,
                  id,
                  () -> client.newWorkflowStub(Rollout.class, id, Optional.of(runId)).status())
              : finishedRollout(result(client, id, runId, status, RolloutResult.class)),
          out);
    } else if (type.equals(WorkflowTypes.TRAIN_CANDIDATE)
        && status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      CandidateResult c = result(client, id, runId, status, CandidateResult.class);
      out.println(
          id + " (TrainCandidate): " + c.size() + " " + c.modelId() + " from job " + c.jobId());
      out.println("  test: " + Printer.format(c.test().metrics()));
      c.evalSets()
          .forEach((set, r) -> out.println("  " + set + ": " + Printer.format(r.metrics())));
    } else {
      out.println(id + " (" + type + "): " + Printer.statusName(status));
    }
    return 0;
  }

  /** A finished rollout as its status: the result holds what the status would show. */
  private static RolloutStatus finishedRollout(RolloutResult r) {
    return new RolloutStatus(
        r.name(),
        r.candidate(),
        r.stable(),
        RolloutStatus.Phase.DONE,
        0,
        0,
        0,
        0,
        r.slowEval(),
        null,
        List.of(),
        r);
  }

  /** The status query, which needs a worker: say so plainly when none answers. */
  private static PipelineStatus query(WorkflowClient client, String id, String runId) {
    return query(
        client,
        id,
        () -> client.newWorkflowStub(FineTunePipeline.class, id, Optional.of(runId)).status());
  }

  private static EvalRunResult queryEval(WorkflowClient client, String id, String runId) {
    return query(
        client, id, () -> client.newWorkflowStub(EvalRun.class, id, Optional.of(runId)).status());
  }

  private static <T> T query(WorkflowClient client, String id, Supplier<T> status) {
    String noWorker =
        id
            + " is RUNNING, but no worker answered its status query: is a worker polling task"
            + " queue fine-tune? Start one with `./finetune worker` (or use `./finetune dev`).";
    if (TemporalOptions.workerPolling(client).equals(Optional.of(false))) {
      throw new UserError(noWorker);
    }
    try {
      return status.get();
    } catch (RuntimeException e) {
      if (TemporalOptions.isStatus(e, Status.Code.DEADLINE_EXCEEDED)) {
        throw new UserError(noWorker);
      }
      throw e;
    }
  }

  private static <T> T result(
      WorkflowClient client,
      String id,
      String runId,
      WorkflowExecutionStatus status,
      Class<T> type) {
    WorkflowStub stub = client.newUntypedWorkflowStub(id, Optional.of(runId), Optional.empty());
    try {
      return stub.getResult(type);
    } catch (WorkflowFailedException e) {
      throw new UserError(
          id + " ended " + Printer.statusName(status) + ": " + TemporalOptions.rootMessage(e));
    }
  }
}
