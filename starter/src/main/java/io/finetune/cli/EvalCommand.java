package io.finetune.cli;

import io.finetune.activities.spec.SpecException;
import io.finetune.activities.spec.SpecLoader;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.eval.EvalRun;
import io.finetune.workflows.eval.EvalRunInput;
import io.finetune.workflows.eval.EvalRunResult;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "eval",
    description = {
      "Runs a spec's fast evals on a model, outside a pipeline: the spec's prompt on the test set"
          + " a pipeline of the spec holds out (same seed, same rows) and on its eval sets.",
      "With --against, a second model too: the difference on each set with its 95% interval,"
          + " and the spec's judge comparing the two answers pairwise.",
      "Each eval is compared with the previous run of the spec on the same set (run over run):"
          + " the score change with its interval, and the rows that went from right to wrong"
          + " and back. Waits, then prints the table.",
      "The dataset and eval sets are checked first, by the rules of the run's import (as"
          + " `start` does; --no-preflight skips the check)."
    })
class EvalCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec commandSpec;

  @Parameters(paramLabel = "SPEC", description = "The pipeline spec (YAML or JSON)")
  Path spec;

  @Option(
      names = "--model",
      required = true,
      description = "The model to evaluate, as its provider names it (e.g. local-large)")
  String model;

  @Option(
      names = "--against",
      description = "A second model to compare with, on every set and by the spec's judge")
  String against;

  @Option(
      names = "--provider",
      description =
          "The provider serving both models (default: the spec's model.promptProvider for its"
              + " promptModel, else the spec's provider)")
  String provider;

  @Option(names = "--id", description = "Workflow id (default: <name>-eval-<timestamp>)")
  String id;

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
    if (model.equals(against)) {
      throw new UserError("--against names the model being evaluated; name another one.");
    }
    String checked = noPreflight ? Preflight.SKIPPED : Preflight.summary(Preflight.check(loaded));
    WorkflowClient client = temporal.connect();
    try {
      return run(
          client,
          loaded,
          checked,
          commandSpec.commandLine().getOut(),
          commandSpec.commandLine().getErr());
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  private int run(
      WorkflowClient client,
      PipelineSpec loaded,
      String checked,
      PrintWriter out,
      PrintWriter err) {
    String workflowId = id != null ? id : TemporalOptions.newWorkflowId(loaded.name() + "-eval");
    String summary =
        "Eval of "
            + model
            + (against == null ? "" : " against " + against)
            + " on "
            + loaded.name();
    EvalRun run =
        client.newWorkflowStub(EvalRun.class, TemporalOptions.workflowOptions(workflowId, summary));
    WorkflowExecution started;
    try {
      started = WorkflowClient.start(run::run, new EvalRunInput(loaded, model, against, provider));
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new UserError("A run with id " + workflowId + " is still running; pick another --id.");
    }
    out.println(
        "Started "
            + workflowId
            + " (EvalRun, run "
            + started.getRunId()
            + ") on "
            + temporal.address());
    out.println(checked);
    if (TemporalOptions.workerPolling(client).equals(Optional.of(false))) {
      out.println(
          "  note: no worker polls task queue fine-tune right now; the run waits until one does"
              + " (./finetune worker).");
    }
    WebUi.run(temporal.address(), temporal.namespace(), workflowId, started.getRunId())
        .ifPresent(link -> out.println("  Web UI:  " + link));
    out.flush();
    EvalRunResult result = await(client, WorkflowStub.fromTyped(run), workflowId, started, err);
    Printer.evalRun(workflowId, result, out);
    return 0;
  }

  /** The run's result; meanwhile its progress goes to {@code err} every two seconds. */
  private static EvalRunResult await(
      WorkflowClient client,
      WorkflowStub stub,
      String workflowId,
      WorkflowExecution started,
      PrintWriter err) {
    CompletableFuture<EvalRunResult> result = stub.getResultAsync(EvalRunResult.class);
    while (true) {
      try {
        return result.get(2, TimeUnit.SECONDS);
      } catch (TimeoutException stillRunning) {
        List<String> lines = Progress.lines(client, workflowId, started.getRunId());
        lines.forEach(err::println);
        err.flush();
      } catch (ExecutionException e) {
        throw failed(workflowId, e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UserError(
            "interrupted while waiting for "
                + workflowId
                + "; it goes on: ./finetune status "
                + workflowId);
      }
    }
  }

  /**
   * What a failed run says: a spec, a model or a provider that cannot be used is the user's to fix
   * (exit 2, the message alone); anything else is unexpected.
   */
  private static RuntimeException failed(String workflowId, Throwable e) {
    if (!(e instanceof WorkflowFailedException)) {
      return e instanceof RuntimeException re ? re : new IllegalStateException(e);
    }
    String message = workflowId + " failed: " + TemporalOptions.rootMessage(e);
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure f
          && (Failures.INVALID_INPUT.equals(f.getType())
              || Failures.PROVIDER_REJECTED.equals(f.getType()))) {
        return new UserError(message);
      }
    }
    return new IllegalStateException(message);
  }
}
