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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** approve / reject: a validated Update, so a wrong checkpoint or a closed run is refused here. */
abstract class DecideCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Parameters(paramLabel = "ID", description = "Workflow id of the pipeline run")
  String id;

  @Option(names = "--checkpoint", required = true, description = "data-review or promotion")
  String checkpoint;

  @Option(names = "--by", required = true, description = "Who decides (recorded)")
  String by;

  @Option(names = "--comment", description = "Why (recorded)")
  String comment;

  abstract Action action();

  @Override
  public Integer call() {
    DecisionRecord r =
        decide(temporal.connect(), id, new Decision(checkpoint, action().id(), by, comment));
    System.out.println(
        "Recorded: "
            + r.action()
            + " at "
            + r.checkpoint()
            + " by "
            + r.by()
            + (r.comment() == null ? "" : " (\"" + r.comment() + "\")"));
    return 0;
  }

  static DecisionRecord decide(WorkflowClient client, String id, Decision decision) {
    WorkflowStub stub = client.newUntypedWorkflowStub(id, Optional.empty(), Optional.empty());
    try {
      return stub.update("decide", DecisionRecord.class, decision);
    } catch (WorkflowUpdateException e) {
      throw new UserError("Refused by " + id + ": " + TemporalOptions.rootMessage(e));
    } catch (RuntimeException e) {
      if (e instanceof WorkflowNotFoundException
          || TemporalOptions.isStatus(e, Status.Code.NOT_FOUND)) {
        throw new UserError(
            "No open run with id '"
                + id
                + "': it does not exist or has already ended"
                + " (see `./finetune status "
                + id
                + "`).");
      }
      throw e;
    }
  }

  @picocli.CommandLine.Command(
      mixinStandardHelpOptions = true,
      name = "approve",
      description = "Approves the open checkpoint (data-review or promotion) of a run.")
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
          "Rejects the open checkpoint of a run; the run ends without training/promoting.")
  static class Reject extends DecideCommand {
    @Override
    Action action() {
      return Action.REJECT;
    }
  }
}
