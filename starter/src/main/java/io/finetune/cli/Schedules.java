package io.finetune.cli;

import io.grpc.Status;
import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.ScheduleActionExecutionStartWorkflow;
import io.temporal.client.schedules.ScheduleActionResult;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleHandle;
import io.temporal.client.schedules.ScheduleListDescription;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code schedules list|describe|pause|unpause|trigger|delete}: the drift checks' Schedules. */
@Command(
    name = "schedules",
    mixinStandardHelpOptions = true,
    description =
        "Manages the Schedules that run drift checks (created by drift-check --every/--cron).",
    subcommands = {
      Schedules.ListSchedules.class,
      Schedules.Describe.class,
      Schedules.Pause.class,
      Schedules.Unpause.class,
      Schedules.Trigger.class,
      Schedules.Delete.class
    })
class Schedules {
  static final String UNSUPPORTED =
      "This Temporal server does not support Schedules (the embedded dev server does not). Install"
          + " the Temporal CLI (./scripts/install-temporal-cli) so that `./finetune dev` runs the"
          + " real dev server, or point TEMPORAL_ADDRESS at a cluster.";

  /** Runs {@code action} with a schedule client, turning what users can fix into messages. */
  static int withSchedules(
      TemporalOptions temporal, PrintWriter out, BiConsumer<ScheduleClient, PrintWriter> action) {
    WorkflowClient client = temporal.connect();
    try {
      action.accept(TemporalOptions.schedules(client), out);
      return 0;
    } catch (RuntimeException e) {
      if (TemporalOptions.isStatus(e, Status.Code.UNIMPLEMENTED)) {
        throw new UserError(UNSUPPORTED);
      }
      if (TemporalOptions.isStatus(e, Status.Code.NOT_FOUND)) {
        throw new UserError(
            "No such schedule: "
                + TemporalOptions.rootMessage(e)
                + " (see `./finetune schedules list`).");
      }
      throw e;
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  /** A subcommand acting on one schedule. */
  abstract static class OnOne implements Callable<Integer> {
    @Mixin TemporalOptions temporal;

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "ID", description = "Schedule id (see `./finetune schedules list`)")
    String id;

    abstract void act(ScheduleHandle schedule, PrintWriter out);

    @Override
    public Integer call() {
      return withSchedules(
          temporal, spec.commandLine().getOut(), (client, out) -> act(client.getHandle(id), out));
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the schedules.")
  static class ListSchedules implements Callable<Integer> {
    @Mixin TemporalOptions temporal;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      return withSchedules(
          temporal,
          spec.commandLine().getOut(),
          (client, out) -> {
            List<ScheduleListDescription> all = client.listSchedules().toList();
            if (all.isEmpty()) {
              out.println("No schedules. Create one with ./finetune drift-check --every PT6H ...");
              return;
            }
            out.printf("%-40s %-8s %-26s %s%n", "ID", "STATE", "NEXT CHECK", "LAST CHECK");
            for (ScheduleListDescription s : all) {
              out.printf(
                  "%-40s %-8s %-26s %s%n",
                  s.getScheduleId(),
                  s.getSchedule().getState().isPaused() ? "paused" : "active",
                  first(s.getInfo().getNextActionTimes()),
                  last(s.getInfo().getRecentActions()));
            }
          });
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = "Shows a schedule: its state, the next checks and the recent ones.")
  static class Describe extends OnOne {
    @Override
    void act(ScheduleHandle schedule, PrintWriter out) {
      ScheduleDescription d = schedule.describe();
      out.println(
          d.getId()
              + ": "
              + (d.getSchedule().getState().isPaused()
                  ? "paused (" + d.getSchedule().getState().getNote() + ")"
                  : "active")
              + "; "
              + d.getInfo().getNumActions()
              + " check(s) started, "
              + d.getInfo().getNumActionsSkippedOverlap()
              + " skipped while one was running, "
              + d.getInfo().getNumActionsMissedCatchupWindow()
              + " missed past the catch-up window");
      List<Instant> next = d.getInfo().getNextActionTimes();
      out.println("  next: " + next.subList(0, Math.min(3, next.size())));
      for (ScheduleActionResult r : d.getInfo().getRecentActions()) {
        out.println("  ran at " + r.getStartedAt() + ": " + workflowId(r));
      }
      d.getInfo()
          .getRunningActions()
          .forEach(
              a ->
                  out.println(
                      "  running: " + ((ScheduleActionExecutionStartWorkflow) a).getWorkflowId()));
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pauses a schedule.")
  static class Pause extends OnOne {
    @Option(names = "--note", description = "Why (shown by describe)")
    String note = "paused with ./finetune schedules pause";

    @Override
    void act(ScheduleHandle schedule, PrintWriter out) {
      schedule.pause(note);
      out.println("Paused " + id + ".");
    }
  }

  @Command(name = "unpause", mixinStandardHelpOptions = true, description = "Resumes a schedule.")
  static class Unpause extends OnOne {
    @Override
    void act(ScheduleHandle schedule, PrintWriter out) {
      schedule.unpause("unpaused with ./finetune schedules unpause");
      out.println("Unpaused " + id + ".");
    }
  }

  @Command(
      name = "trigger",
      mixinStandardHelpOptions = true,
      description = "Runs a check now (skipped if one is running).")
  static class Trigger extends OnOne {
    @Override
    void act(ScheduleHandle schedule, PrintWriter out) {
      schedule.trigger();
      out.println("Triggered " + id + "; see ./finetune schedules describe " + id);
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Deletes a schedule (the checks it ran stay).")
  static class Delete extends OnOne {
    @Override
    void act(ScheduleHandle schedule, PrintWriter out) {
      schedule.delete();
      out.println("Deleted " + id + ".");
    }
  }

  private static String first(List<Instant> times) {
    return times.isEmpty() ? "-" : times.get(0).toString();
  }

  private static String last(List<ScheduleActionResult> actions) {
    if (actions.isEmpty()) {
      return "-";
    }
    ScheduleActionResult r = actions.get(actions.size() - 1);
    return r.getStartedAt() + " " + workflowId(r);
  }

  private static String workflowId(ScheduleActionResult r) {
    return r.getAction() instanceof ScheduleActionExecutionStartWorkflow w
        ? w.getWorkflowId()
        : String.valueOf(r.getAction());
  }
}
