package io.finetune.cli;

import io.finetune.activities.spec.SpecException;
import io.finetune.activities.spec.SpecLoader;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowStub;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    mixinStandardHelpOptions = true,
    name = "start",
    description = "Starts a fine-tuning pipeline from a spec file.")
class StartCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Parameters(paramLabel = "SPEC", description = "The pipeline spec (YAML or JSON)")
  Path spec;

  @Option(names = "--id", description = "Workflow id (default: <name>-<timestamp>)")
  String id;

  @Option(names = "--wait", description = "Wait for the run to end and print its result")
  boolean await;

  @Override
  public Integer call() {
    PipelineSpec loaded;
    try {
      loaded = SpecLoader.load(spec);
    } catch (SpecException e) {
      throw new UserError(e.getMessage());
    }
    WorkflowClient client = temporal.connect();
    String workflowId = id != null ? id : TemporalOptions.newWorkflowId(loaded.name());
    FineTunePipeline pipeline =
        client.newWorkflowStub(
            FineTunePipeline.class,
            TemporalOptions.workflowOptions(
                workflowId, "Fine-tune " + loaded.name() + " from " + spec.getFileName()));
    try {
      WorkflowClient.start(pipeline::run, new PipelineInput(loaded, "cli"));
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new UserError("A run with id " + workflowId + " already exists; pick another --id.");
    }
    System.out.println("Started " + workflowId + " (FineTunePipeline) on " + temporal.address());
    if (TemporalOptions.workerPolling(client).equals(java.util.Optional.of(false))) {
      System.out.println(
          "  note: no worker polls task queue fine-tune right now; the run waits until one does"
              + " (./finetune worker).");
    }
    System.out.println("  status:  ./finetune status " + workflowId);
    System.out.println(
        "  approve: ./finetune approve " + workflowId + " --checkpoint data-review --by <you>");
    if (await) {
      PipelineStatus result = WorkflowStub.fromTyped(pipeline).getResult(PipelineStatus.class);
      Printer.pipeline(workflowId, result, System.out);
    }
    return 0;
  }
}
