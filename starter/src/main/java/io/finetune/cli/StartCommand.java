package io.finetune.cli;

import io.finetune.activities.spec.SpecException;
import io.finetune.activities.spec.SpecLoader;
import io.finetune.workflows.WorkflowTypes;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "start",
    description = {
      "Starts a fine-tuning pipeline from a spec file.",
      "Its dataset and eval sets are checked first, line by line, by the rules of the run's"
          + " import: a file the run would refuse is refused now, with file, line and reason,"
          + " and nothing starts (--no-preflight skips the check).",
      "An id that has already run is refused, so that an old run is never taken for a new one;"
          + " --rerun starts a new, separate run of that id."
    })
class StartCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec commandSpec;

  @Parameters(paramLabel = "SPEC", description = "The pipeline spec (YAML or JSON)")
  Path spec;

  @Option(names = "--id", description = "Workflow id (default: <name>-<timestamp>)")
  String id;

  @Option(
      names = "--rerun",
      description =
          "If the id has already run (and ended), start a new, separate run of it; its earlier"
              + " runs stay as they are")
  boolean rerun;

  @Option(names = "--wait", description = "Wait for the run to end and print its result")
  boolean await;

  @Option(
      names = "--no-preflight",
      description =
          "Start without checking the datasets first (the run's import still checks them)")
  boolean noPreflight;

  @Override
  public Integer call() {
    PipelineSpec loaded;
    try {
      loaded = SpecLoader.load(spec);
    } catch (SpecException e) {
      throw new UserError(e.getMessage());
    }
    String checked = noPreflight ? Preflight.SKIPPED : Preflight.summary(Preflight.check(loaded));
    WorkflowClient client = temporal.connect();
    try {
      return start(client, loaded, checked, commandSpec.commandLine().getOut());
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  private int start(WorkflowClient client, PipelineSpec loaded, String checked, PrintWriter out) {
    String workflowId = id != null ? id : TemporalOptions.newWorkflowId(loaded.name());
    // Ask first, to say what ran; the reuse policy refuses a run that ends or starts meanwhile too.
    Optional<Runs.Run> previous = Runs.latest(client, workflowId);
    previous.ifPresent(p -> refuseUnlessRerun(client, p));
    FineTunePipeline pipeline =
        client.newWorkflowStub(
            FineTunePipeline.class,
            options(
                workflowId, "Fine-tune " + loaded.name() + " from " + spec.getFileName(), rerun));
    WorkflowExecution started;
    try {
      started = WorkflowClient.start(pipeline::run, new PipelineInput(loaded, "cli"));
    } catch (WorkflowExecutionAlreadyStarted e) {
      Optional<Runs.Run> now = Runs.latest(client, workflowId);
      now.ifPresent(p -> refuseUnlessRerun(client, p));
      throw new UserError("A run with id " + workflowId + " already exists; pick another --id.");
    }
    out.println(
        "Started "
            + workflowId
            + " (FineTunePipeline, run "
            + started.getRunId()
            + ") on "
            + temporal.address());
    out.println(checked);
    previous.ifPresent(
        p ->
            out.println(
                "  a new run of this id: the earlier "
                    + p.which()
                    + " "
                    + p.state()
                    + " and stays as it was"));
    if (TemporalOptions.workerPolling(client).equals(Optional.of(false))) {
      out.println(
          "  note: no worker polls task queue fine-tune right now; the run waits until one does"
              + " (./finetune worker).");
    }
    WebUi.run(temporal.address(), temporal.namespace(), workflowId, started.getRunId())
        .ifPresent(link -> out.println("  Web UI:  " + link));
    out.println("  status:  ./finetune status " + workflowId);
    out.println(
        "  approve: ./finetune approve " + workflowId + " --checkpoint data-review --by <you>");
    if (await) {
      PipelineStatus result = WorkflowStub.fromTyped(pipeline).getResult(PipelineStatus.class);
      Printer.pipeline(workflowId, result, out);
    }
    return 0;
  }

  /**
   * A new run of an id that has run before only when asked (--rerun); otherwise the server refuses
   * it too, so that a run that ends or starts between our check and the start is not reused.
   */
  static WorkflowOptions options(String workflowId, String summary, boolean rerun) {
    return WorkflowOptions.newBuilder(TemporalOptions.workflowOptions(workflowId, summary))
        .setWorkflowIdReusePolicy(
            rerun
                ? WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
                : WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
        .build();
  }

  /** An open run is always refused; a closed one unless --rerun asks for a new run. */
  private void refuseUnlessRerun(WorkflowClient client, Runs.Run run) {
    if (run.isOpen()) {
      throw new UserError(
          "A run with id "
              + run.workflowId()
              + " is still running ("
              + run.which()
              + ", "
              + run.state()
              + "); follow it with `./finetune status "
              + run.workflowId()
              + "`, cancel it, or pick another --id.");
    }
    if (!rerun) {
      throw new UserError(
          run.workflowId()
              + " has already run: its "
              + run.which()
              + " ("
              + run.type()
              + ") "
              + run.state()
              + outcome(client, run)
              + ".\n  To start a new, separate run of this id add --rerun (the earlier run stays as"
              + " it is), or pick another --id.");
    }
  }

  /** The outcome of a completed pipeline run, when it can be read. */
  private static String outcome(WorkflowClient client, Runs.Run run) {
    if (run.status() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
        || !run.type().equals(WorkflowTypes.FINE_TUNE_PIPELINE)) {
      return "";
    }
    try {
      PipelineStatus s =
          client
              .newUntypedWorkflowStub(run.workflowId(), Optional.of(run.runId()), Optional.empty())
              .getResult(PipelineStatus.class);
      return s.outcome() == null ? "" : " with outcome " + s.outcome();
    } catch (RuntimeException e) {
      return ""; // the refusal matters, not the detail
    }
  }
}
