package io.finetune.cli;

import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.drift.DriftCheck;
import io.finetune.workflows.drift.DriftCheckInput;
import io.finetune.workflows.drift.DriftResult;
import io.grpc.Status;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleAlreadyRunningException;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.SchedulePolicy;
import io.temporal.client.schedules.ScheduleSpec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
      "With --every or --cron it creates a Temporal Schedule instead (needs a real Temporal"
          + " server: `./finetune dev` with the Temporal CLI installed, or any cluster); give"
          + " --batch a folder so that each check takes the files that arrived since the"
          + " previous one. Manage schedules with `./finetune schedules`.",
      "Without --batch, the check reads the gateway's traces of the model since the previous"
          + " check, when the model's spec says drift.source: traces (corrected traces are its"
          + " labeled rows)."
    })
class DriftCheckCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec spec;

  @Option(names = "--model", required = true, description = "Registry name (the spec's name)")
  String model;

  @Option(
      names = "--batch",
      description =
          "Production batch: a JSONL file (rows with an output are labeled), or a folder whose"
              + " new *.jsonl files each check takes. Omitted: the gateway's traces, for a model"
              + " whose spec says drift.source: traces")
  Path batch;

  @Option(names = "--no-retrain", description = "Only measure; never start retraining")
  boolean noRetrain;

  @Option(
      names = "--id",
      description = "Workflow id, or schedule id (default for a schedule: <model>-drift-check)")
  String id;

  @Option(names = "--wait", description = "Wait for the check and print its figures")
  boolean await;

  @Option(names = "--every", description = "Run on a schedule every interval, e.g. PT6H or PT24H")
  Duration every;

  @Option(
      names = "--cron",
      description = "Run on a schedule given as a cron expression, e.g. \"0 */6 * * *\" (UTC)")
  String cron;

  @Option(
      names = "--catchup-window",
      description =
          "After an outage, run a missed check if it is no older than this (default:"
              + " ${DEFAULT-VALUE})")
  Duration catchupWindow = Duration.ofHours(1);

  @Override
  public Integer call() {
    if (batch != null && !Files.isRegularFile(batch) && !Files.isDirectory(batch)) {
      throw new UserError(batch + ": no such batch file or folder");
    }
    if (every != null && cron != null) {
      throw new UserError("Give --every or --cron, not both.");
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
        new DriftCheckInput(
            model,
            // None: the worker reads where the model's spec says (drift.source: traces).
            batch == null ? null : batch.toAbsolutePath().normalize().toString(),
            !noRetrain);
    if (every != null || cron != null) {
      return schedule(client, input, id != null ? id : model + "-drift-check", out);
    }
    String workflowId = id != null ? id : TemporalOptions.newWorkflowId(model + "-drift");
    DriftCheck check =
        client.newWorkflowStub(
            DriftCheck.class, TemporalOptions.workflowOptions(workflowId, summary()));
    try {
      WorkflowClient.start(check::check, input);
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new UserError("A run with id " + workflowId + " already exists; pick another --id.");
    }
    out.println("Started " + workflowId + " (DriftCheck)");
    WebUi.run(temporal.address(), temporal.namespace(), workflowId, null)
        .ifPresent(link -> out.println("  Web UI: " + link));
    if (await) {
      DriftResult result;
      try {
        result = WorkflowStub.fromTyped(check).getResult(DriftResult.class);
      } catch (WorkflowFailedException e) {
        if (TemporalOptions.isInvalidInput(e)) {
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
    return "Drift check of "
        + model
        + " on "
        + (batch == null ? "its traces" : batch.getFileName().toString());
  }

  /**
   * One Schedule per model: overlapping checks are skipped, a failed check does not pause it, and a
   * check missed during an outage still runs within the catch-up window.
   */
  private int schedule(
      WorkflowClient client, DriftCheckInput input, String scheduleId, PrintWriter out) {
    ScheduleClient schedules = TemporalOptions.schedules(client);
    ScheduleSpec.Builder when = ScheduleSpec.newBuilder();
    if (every != null) {
      when.setIntervals(List.of(new ScheduleIntervalSpec(every)));
    } else {
      when.setCronExpressions(List.of(cron));
    }
    Schedule schedule =
        Schedule.newBuilder()
            .setAction(
                ScheduleActionStartWorkflow.newBuilder()
                    .setWorkflowType(DriftCheck.class)
                    .setArguments(input)
                    // No static summary here: SDK 1.38 cannot describe a schedule whose action
                    // has one (it fails to decode its empty details).
                    .setOptions(
                        WorkflowOptions.newBuilder()
                            .setWorkflowId(scheduleId)
                            .setTaskQueue(TaskQueues.FINE_TUNE)
                            .build())
                    .build())
            .setSpec(when.build())
            .setPolicy(
                SchedulePolicy.newBuilder()
                    .setOverlap(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP)
                    .setCatchupWindow(catchupWindow)
                    .setPauseOnFailure(false)
                    .build())
            .build();
    try {
      schedules.createSchedule(
          scheduleId,
          schedule,
          ScheduleOptions.newBuilder().setMemo(Map.of("model", model)).build());
    } catch (ScheduleAlreadyRunningException e) {
      throw new UserError(
          "Schedule "
              + scheduleId
              + " exists already; see `./finetune schedules describe "
              + scheduleId
              + "`, delete it first, or pick another --id.");
    } catch (RuntimeException e) {
      if (TemporalOptions.isStatus(e, Status.Code.UNIMPLEMENTED)) {
        throw new UserError(Schedules.UNSUPPORTED);
      }
      if (TemporalOptions.isStatus(e, Status.Code.INVALID_ARGUMENT)) {
        throw new UserError("The server refused the schedule: " + TemporalOptions.rootMessage(e));
      }
      throw e;
    }
    out.println(
        "Created schedule "
            + scheduleId
            + ": a drift check of "
            + model
            + (every != null ? " every " + every : " on cron \"" + cron + "\"")
            + " on "
            + (batch == null ? "the traces since the previous check" : input.batchPath()));
    if (batch != null && !Files.isDirectory(batch)) {
      out.println(
          "  note: --batch is one file, so every check sees the same rows; give a folder to check"
              + " only the files that arrived since the previous check.");
    }
    out.println(
        "  manage it: ./finetune schedules describe|pause|unpause|trigger|delete " + scheduleId);
    return 0;
  }
}
