package io.finetune.cli;

import io.finetune.workflows.common.Failures;
import io.finetune.workflows.drift.DriftCheck;
import io.finetune.workflows.drift.DriftCheckInput;
import io.finetune.workflows.drift.DriftResult;
import io.grpc.Status;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.failure.ApplicationFailure;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "drift-check",
    description = {
      "Compares a production batch with the current model's training data; past the spec's"
          + " thresholds it starts a retraining run with the fresh labeled rows added.",
      "With --every it creates a Temporal Schedule instead (needs a real Temporal server)."
    })
class DriftCheckCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, description = "Registry name (the spec's name)")
  String model;

  @Option(
      names = "--batch",
      required = true,
      description = "Production batch, JSONL; rows with an output are labeled")
  Path batch;

  @Option(names = "--no-retrain", description = "Only measure; never start retraining")
  boolean noRetrain;

  @Option(names = "--id", description = "Workflow (or schedule) id")
  String id;

  @Option(names = "--wait", description = "Wait for the check and print its figures")
  boolean await;

  @Option(names = "--every", description = "Run on a schedule, e.g. PT24H or PT1H")
  Duration every;

  @Override
  public Integer call() {
    if (!Files.isRegularFile(batch)) {
      throw new UserError(batch + ": no such batch file");
    }
    WorkflowClient client = temporal.connect();
    try {
      return check(client, spec.commandLine().getOut());
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  private int check(WorkflowClient client, PrintWriter out) {
    DriftCheckInput input =
        new DriftCheckInput(model, batch.toAbsolutePath().normalize().toString(), !noRetrain);
    String workflowId = id != null ? id : TemporalOptions.newWorkflowId(model + "-drift");
    if (every != null) {
      return schedule(client, input, workflowId, out);
    }
    DriftCheck check =
        client.newWorkflowStub(
            DriftCheck.class, TemporalOptions.workflowOptions(workflowId, summary()));
    try {
      WorkflowClient.start(check::check, input);
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new UserError("A run with id " + workflowId + " already exists; pick another --id.");
    }
    out.println("Started " + workflowId + " (DriftCheck)");
    if (await) {
      DriftResult result;
      try {
        result = WorkflowStub.fromTyped(check).getResult(DriftResult.class);
      } catch (WorkflowFailedException e) {
        if (isInvalidInput(e)) {
          // No such model, a batch row that cannot be read: the message says what to fix.
          throw new UserError(workflowId + " failed: " + TemporalOptions.rootMessage(e));
        }
        throw e;
      }
      Printer.drift(workflowId, result, out);
    } else {
      out.println("  status: ./finetune status " + workflowId);
    }
    return 0;
  }

  private String summary() {
    return "Drift check of " + model + " on " + batch.getFileName();
  }

  private int schedule(
      WorkflowClient client, DriftCheckInput input, String scheduleId, PrintWriter out) {
    ScheduleClient schedules = ScheduleClient.newInstance(client.getWorkflowServiceStubs());
    Schedule schedule =
        Schedule.newBuilder()
            .setAction(
                ScheduleActionStartWorkflow.newBuilder()
                    .setWorkflowType(DriftCheck.class)
                    .setArguments(input)
                    .setOptions(TemporalOptions.workflowOptions(scheduleId, summary()))
                    .build())
            .setSpec(
                ScheduleSpec.newBuilder()
                    .setIntervals(List.of(new ScheduleIntervalSpec(every)))
                    .build())
            .build();
    try {
      schedules.createSchedule(scheduleId, schedule, ScheduleOptions.newBuilder().build());
    } catch (RuntimeException e) {
      if (TemporalOptions.isStatus(e, Status.Code.UNIMPLEMENTED)) {
        throw new UserError(
            "This Temporal server does not support Schedules (the embedded dev server does not)."
                + " Run `docker compose up` for a real server, or run drift-check without --every"
                + " from cron.");
      }
      throw e;
    }
    out.println(
        "Created schedule "
            + scheduleId
            + ": a drift check every "
            + every
            + " on "
            + input.batchPath());
    return 0;
  }

  /** Whether the run failed on input no retry can fix (an activity's InvalidInput failure). */
  private static boolean isInvalidInput(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure f && Failures.INVALID_INPUT.equals(f.getType())) {
        return true;
      }
    }
    return false;
  }
}
