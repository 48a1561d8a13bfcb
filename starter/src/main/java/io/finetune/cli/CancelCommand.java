package io.finetune.cli;

import io.grpc.Status;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description =
        "Cancels a run: running provider jobs are cancelled too (no more paying for them), and the"
            + " run ends as CANCELED.")
class CancelCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Parameters(paramLabel = "ID", description = "Workflow id")
  String id;

  @Override
  public Integer call() {
    WorkflowClient client = temporal.connect();
    try {
      client.newUntypedWorkflowStub(id, Optional.empty(), Optional.empty()).cancel();
    } catch (RuntimeException e) {
      if (e instanceof WorkflowNotFoundException
          || TemporalOptions.isStatus(e, Status.Code.NOT_FOUND)) {
        throw new UserError("No open run with id '" + id + "' (see `./finetune list`).");
      }
      throw e;
    }
    System.out.println("Cancellation requested for " + id + "; see ./finetune status " + id);
    return 0;
  }
}
