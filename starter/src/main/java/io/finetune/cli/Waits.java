package io.finetune.cli;

import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import java.util.Optional;

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
}
