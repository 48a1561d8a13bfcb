package io.finetune.workflows.replay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.drift.DriftCheckImpl;
import io.finetune.workflows.eval.EvalRunImpl;
import io.finetune.workflows.pipeline.FineTunePipelineImpl;
import io.finetune.workflows.rollout.RolloutImpl;
import io.finetune.workflows.training.TrainCandidateImpl;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkflowImplementationOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every history of a real run kept in {@code src/test/resources/histories} must keep replaying on
 * the current workflow code: a change that would break running workflows fails here. Files are
 * named {@code <workflow id>--<what>-<version>.json} (child workflow ids derive from the parent's,
 * so replay needs the id). Change workflow code behind Workflow.getVersion, and add histories of
 * new code next to the old ones; never replace them.
 */
class HistoryReplayTest {
  private static final Path HISTORIES = Path.of("src/test/resources/histories");

  static List<Path> histories() throws IOException {
    try (Stream<Path> files = Files.list(HISTORIES)) {
      return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
  }

  @Test
  void thereAreHistoriesOfEveryWorkflowType() throws IOException {
    List<String> names = histories().stream().map(p -> p.getFileName().toString()).toList();
    for (String type :
        List.of("--fine-tune-pipeline-", "--train-candidate-", "--drift-check-", "--eval-run")) {
      assertTrue(names.stream().anyMatch(n -> n.contains(type)), type + " missing in " + names);
    }
  }

  @ParameterizedTest
  @MethodSource("histories")
  void recordedHistoryReplays(Path file) throws Exception {
    String name = file.getFileName().toString();
    String workflowId = name.substring(0, name.indexOf("--"));
    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(Files.readString(file), workflowId),
        FineTunePipelineImpl.class,
        TrainCandidateImpl.class,
        DriftCheckImpl.class,
        EvalRunImpl.class,
        RolloutImpl.class);
  }

  /** A worker's activity timeout overrides (finetune.activities.*) change no decision. */
  @ParameterizedTest
  @MethodSource("histories")
  void recordedHistoryReplaysWithOtherActivityTimeouts(Path file) throws Exception {
    String name = file.getFileName().toString();
    String workflowId = name.substring(0, name.indexOf("--"));
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance()) {
      Worker worker = env.newWorker("replay");
      worker.registerWorkflowImplementationTypes(
          WorkflowImplementationOptions.newBuilder()
              .setActivityOptions(
                  ActivityStubs.timeoutOverrides(Duration.ofSeconds(3), Duration.ofSeconds(20)))
              .build(),
          FineTunePipelineImpl.class,
          TrainCandidateImpl.class,
          DriftCheckImpl.class,
          EvalRunImpl.class,
          RolloutImpl.class);
      WorkflowReplayer.replayWorkflowExecution(
          WorkflowExecutionHistory.fromJson(Files.readString(file), workflowId), worker);
    }
  }
}
