package io.finetune.cli;

import io.finetune.workflows.pipeline.Action;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.grpc.Status;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** approve / reject: a validated Update, so a wrong checkpoint or a closed run is refused here. */
abstract class DecideCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Parameters(
      paramLabel = "ID",
      description = "Workflow id of the pipeline run (of the rollout, rollout-MODEL, for rollback)")
  String id;

  @Option(
      names = "--checkpoint",
      required = true,
      description = "data-review or promotion (a pipeline's), rollback (a rollout's)")
  String checkpoint;

  @Option(names = "--by", required = true, description = "Who decides (recorded)")
  String by;

  @Option(names = "--comment", description = "Why (recorded)")
  String comment;

  @Spec CommandSpec spec;

  abstract Action action();

  @Override
  public Integer call() {
    WorkflowClient client = temporal.connect();
    try {
      Runs.Run run = Runs.latestOrFail(client, id);
      if (!run.isOpen()) {
        throw notOpen(run);
      }
      DecisionRecord r = decide(client, run, new Decision(checkpoint, action().id(), by, comment));
      spec.commandLine()
          .getOut()
          .println(
              "Recorded: "
                  + r.action()
                  + " at "
                  + r.checkpoint()
                  + " by "
                  + r.by()
                  + (r.comment() == null ? "" : " (\"" + r.comment() + "\")")
                  + " on "
                  + id
                  + " ("
                  + run.which()
                  + ")");
      return 0;
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  /** Decides on the latest run of {@code id}. */
  static DecisionRecord decide(WorkflowClient client, String id, Decision decision) {
    return decide(client, Runs.latestOrFail(client, id), decision);
  }

  /** Decides on exactly {@code run}, even if a newer run of its id has started since. */
  static DecisionRecord decide(WorkflowClient client, Runs.Run run, Decision decision) {
    // By name: a pipeline and a rollout (its rollback checkpoint) both take the Update "decide".
    WorkflowStub stub =
        client.newUntypedWorkflowStub(run.workflowId(), Optional.of(run.runId()), Optional.empty());
    try {
      return stub.update("decide", DecisionRecord.class, decision);
    } catch (WorkflowUpdateException e) {
      throw new UserError("Refused by " + run.workflowId() + ": " + TemporalOptions.rootMessage(e));
    } catch (RuntimeException e) {
      if (e instanceof WorkflowNotFoundException
          || TemporalOptions.isStatus(e, Status.Code.NOT_FOUND)) {
        throw notOpen(Runs.latestOrFail(client, run.workflowId()));
      }
      throw e;
    }
  }

  private static UserError notOpen(Runs.Run run) {
    return new UserError(
        "No open run with id '"
            + run.workflowId()
            + "': its "
            + run.which()
            + ", "
            + run.state()
            + " (see `./finetune status "
            + run.workflowId()
            + "`).");
  }

  @picocli.CommandLine.Command(
      mixinStandardHelpOptions = true,
      name = "approve",
      description =
          "Approves the open checkpoint (data-review or promotion; on a rollout, rollback:"
              + " roll back) of the latest run of an id.")
  static class Approve extends DecideCommand {
    @Override
    Action action() {
      return Action.APPROVE;
    }
  }

  @picocli.CommandLine.Command(
      mixinStandardHelpOptions = true,
      name = "reject",
      description =
          "Rejects the open checkpoint of the latest run of an id; the run ends without"
              + " training/promoting.")
  static class Reject extends DecideCommand {
    @Override
    Action action() {
      return Action.REJECT;
    }
  }
}
