package io.finetune.cli;

import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The one way the CLI waits for a pipeline to need a person: the run's own Update {@code
 * waitUntilDecisionNeeded}, which answers as soon as a checkpoint opens or the run ends. No
 * polling, and no waiting past the moment.
 */
final class Waits {
  private Waits() {}

  /**
   * The status once run {@code runId} of {@code id} has a checkpoint open or has ended; empty when
   * it has ended before it could answer (its result then says how it ended).
   */
  static Optional<PipelineStatus> untilDecisionNeeded(
      WorkflowClient client, String id, String runId) {
    FineTunePipeline run =
        client.newWorkflowStub(FineTunePipeline.class, id, Optional.ofNullable(runId));
    try {
      return Optional.of(run.waitUntilDecisionNeeded());
    } catch (RuntimeException e) {
      WorkflowExecutionStatus now =
          Runs.describe(client, id, runId).getWorkflowExecutionInfo().getStatus();
      if (now == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        throw e;
      }
      return Optional.empty();
    }
  }

  /**
   * As {@link #untilDecisionNeeded(WorkflowClient, String, String)}, and meanwhile hands the run's
   * progress lines ({@link Progress}) to {@code progress} every two seconds.
   */
  static Optional<PipelineStatus> untilDecisionNeeded(
      WorkflowClient client, String id, String runId, Consumer<List<String>> progress) {
    CompletableFuture<Optional<PipelineStatus>> needed =
        CompletableFuture.supplyAsync(() -> untilDecisionNeeded(client, id, runId));
    while (true) {
      try {
        return needed.get(2, TimeUnit.SECONDS);
      } catch (TimeoutException stillWaiting) {
        List<String> lines = Progress.lines(client, id, runId == null ? "" : runId);
        if (!lines.isEmpty()) {
          progress.accept(lines);
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        needed.cancel(true);
        throw new UserError("interrupted while waiting for " + id);
      }
    }
  }
}
