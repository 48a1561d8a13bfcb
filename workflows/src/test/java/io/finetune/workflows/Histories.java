package io.finetune.workflows;

import io.finetune.workflows.drift.DriftCheckImpl;
import io.finetune.workflows.eval.EvalRunImpl;
import io.finetune.workflows.pipeline.FineTunePipelineImpl;
import io.finetune.workflows.rollout.RolloutImpl;
import io.finetune.workflows.training.TrainCandidateImpl;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Replays a finished run's history on the current code and, with {@code
 * -Dfinetune.recordHistories=<label>}, keeps it for {@code HistoryReplayTest} so that later code
 * must replay it too. Files are added, never replaced.
 */
public final class Histories {
  /** Where the replay test reads them, from this module. */
  private static final Path HISTORIES = Path.of("src/test/resources/histories");

  private Histories() {}

  public static void replayAndMaybeRecord(WorkflowClient client, String workflowId, String what)
      throws Exception {
    replayAndMaybeRecord(client, HISTORIES, workflowId, what);
  }

  /** The same, keeping histories in {@code dir} (another module's tests give the path there). */
  public static void replayAndMaybeRecord(
      WorkflowClient client, Path dir, String workflowId, String what) throws Exception {
    WorkflowExecutionHistory history = client.fetchHistory(workflowId);
    WorkflowReplayer.replayWorkflowExecution(
        history,
        FineTunePipelineImpl.class,
        TrainCandidateImpl.class,
        DriftCheckImpl.class,
        EvalRunImpl.class,
        RolloutImpl.class);
    String label = System.getProperty("finetune.recordHistories", "");
    if (!label.isBlank()) {
      Path file = dir.resolve(workflowId + "--" + what + "-" + label + ".json");
      if (Files.exists(file)) {
        throw new IllegalStateException(file + " exists: histories are added, never replaced");
      }
      Files.writeString(file, history.toJson(true));
    }
  }
}
