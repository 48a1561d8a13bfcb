package io.finetune.cli;

import io.finetune.workflows.drift.DriftCheck;
import io.finetune.workflows.drift.DriftCheckInput;
import io.finetune.workflows.drift.DriftResult;
import io.grpc.Status;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowStub;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.ScheduleSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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
    DriftCheckInput input =
        new DriftCheckInput(model, batch.toAbsolutePath().normalize().toString(), !noRetrain);
    String workflowId = id != null ? id : TemporalOptions.newWorkflowId(model + "-drift");
    if (every != null) {
      return schedule(client, input, workflowId);
    }
    DriftCheck check =
        client.newWorkflowStub(
            DriftCheck.class, TemporalOptions.workflowOptions(workflowId, summary()));
    try {
      WorkflowClient.start(check::check, input);
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new UserError("A run with id " + workflowId + " already exists; pick another --id.");
    }
    System.out.println("Started " + workflowId + " (DriftCheck)");
    if (await) {
      DriftResult result = WorkflowStub.fromTyped(check).getResult(DriftResult.class);
      Printer.drift(workflowId, result, System.out);
    } else {
      System.out.println("  status: ./finetune status " + workflowId);
    }
    return 0;
  }

  private String summary() {
    return "Drift check of " + model + " on " + batch.getFileName();
  }

  private int schedule(WorkflowClient client, DriftCheckInput input, String scheduleId) {
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
    System.out.println(
        "Created schedule "
            + scheduleId
            + ": a drift check every "
            + every
            + " on "
            + input.batchPath());
    return 0;
  }
}
