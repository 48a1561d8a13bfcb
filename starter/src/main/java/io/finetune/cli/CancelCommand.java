package io.finetune.cli;

import io.grpc.Status;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description =
        "Cancels the latest run of an id: running provider jobs are cancelled too (no more paying"
            + " for them), and the run ends as CANCELED.")
class CancelCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "Workflow id")
  String id;

  @Override
  public Integer call() {
    WorkflowClient client = temporal.connect();
    try {
      Runs.Run run = Runs.latestOrFail(client, id);
      if (!run.isOpen()) {
        throw notOpen(run);
      }
      try {
        client.newUntypedWorkflowStub(id, Optional.of(run.runId()), Optional.empty()).cancel();
      } catch (RuntimeException e) {
        if (e instanceof WorkflowNotFoundException
            || TemporalOptions.isStatus(e, Status.Code.NOT_FOUND)) {
          throw notOpen(Runs.latestOrFail(client, id));
        }
        throw e;
      }
      spec.commandLine()
          .getOut()
          .println(
              "Cancellation requested for "
                  + id
                  + " ("
                  + run.which()
                  + "); see ./finetune status "
                  + id);
      return 0;
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  private UserError notOpen(Runs.Run run) {
    return new UserError(
        "No open run with id '"
            + id
            + "': its "
            + run.which()
            + ", "
            + run.state()
            + " (see `./finetune status "
            + id
            + "`).");
  }
}
