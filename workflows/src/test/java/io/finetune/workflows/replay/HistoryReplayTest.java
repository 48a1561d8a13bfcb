package io.finetune.workflows.replay;

import io.finetune.workflows.drift.DriftCheckImpl;
import io.finetune.workflows.pipeline.FineTunePipelineImpl;
import io.finetune.workflows.training.TrainCandidateImpl;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Histories of real runs (recorded by the worker's WholeLifecycleTest) must keep replaying on the
 * current workflow code: a change that would break running workflows fails here. Change workflow
 * code behind Workflow.getVersion, and add a new history here instead of replacing an old one.
 */
class HistoryReplayTest {

  /** File, and the workflow id it ran under (child ids derive from it, so replay needs it). */
  @ParameterizedTest
  @CsvSource({
    "histories/fine-tune-pipeline-happy-path.json, lifecycle",
    "histories/train-candidate.json, lifecycle-train-small",
    "histories/drift-check-retrain.json, drift"
  })
  void recordedHistoryReplays(String resource, String workflowId) throws Exception {
    String json;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(json, workflowId),
        FineTunePipelineImpl.class,
        TrainCandidateImpl.class,
        DriftCheckImpl.class);
  }
}
