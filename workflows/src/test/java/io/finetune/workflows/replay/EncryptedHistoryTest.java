package io.finetune.workflows.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.codec.EncryptionKeys;
import io.finetune.workflows.codec.PayloadEncryption;
import io.finetune.workflows.drift.DriftCheckImpl;
import io.finetune.workflows.eval.EvalRun;
import io.finetune.workflows.eval.EvalRunImpl;
import io.finetune.workflows.eval.EvalRunInput;
import io.finetune.workflows.pipeline.FineTunePipelineImpl;
import io.finetune.workflows.rollout.RolloutImpl;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.training.TrainCandidateImpl;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.converter.DataConverter;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * With payload encryption on, a run's history holds no plaintext, replays on a worker that has the
 * key, and fails to replay on one that has not; and every history recorded before encryption still
 * replays on a worker that encrypts (plain payloads pass through its codec).
 */
class EncryptedHistoryTest {
  private static final String KEYS =
      "test-1:"
          + Base64.getEncoder()
              .encodeToString("a 32-byte key for this test only".getBytes(StandardCharsets.UTF_8));
  private static final DataConverter ENCRYPTING =
      PayloadEncryption.dataConverter(EncryptionKeys.parse(KEYS));

  static List<Path> histories() throws Exception {
    return HistoryReplayTest.histories();
  }

  @Test
  void anEncryptedRunsHistoryHasNoPlaintextAndReplaysOnlyWithTheKey() throws Exception {
    FakeActivities activities = new FakeActivities();
    activities.exactMatchByModel.put("local-large", 0.60);
    WorkflowExecutionHistory history;
    try (TestWorkflowEnvironment env =
        activities.startEnvironment(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder().setDataConverter(ENCRYPTING).build())
                .build())) {
      EvalRun run =
          env.getWorkflowClient()
              .newWorkflowStub(
                  EvalRun.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId("eval-encrypted")
                      .setTaskQueue(TaskQueues.FINE_TUNE)
                      .build());
      var spec = FakeActivities.spec(List.of(Size.SMALL), List.of());
      var result = run.run(new EvalRunInput(spec, "local-large", null, null));
      assertEquals(0.60, result.modelTest().metrics().get("exact_match"), "the run works");
      history = env.getWorkflowClient().fetchHistory("eval-encrypted");
    }

    String json = history.toJson(false);
    String decoded = decodedBlobs(json);
    for (String plaintext : List.of("Classify.", "triage", "local-large", "exact_match")) {
      assertFalse(json.contains(plaintext), plaintext + " is in the history's JSON");
      assertFalse(decoded.contains(plaintext), plaintext + " is in a payload of the history");
    }
    assertTrue(
        decoded.contains("binary/encrypted"), "payloads are marked encrypted: " + json.length());

    replay(history, ENCRYPTING);
    var e =
        assertThrows(
            Exception.class,
            () -> replay(history, PayloadEncryption.dataConverter(Optional.empty())));
    assertTrue(
        messages(e).contains("FINETUNE_ENCRYPTION_KEYS is not set"), "without the key: " + e);
  }

  @ParameterizedTest
  @MethodSource("histories")
  void historiesFromBeforeEncryptionReplayOnAWorkerThatEncrypts(Path file) throws Exception {
    String name = file.getFileName().toString();
    replay(
        WorkflowExecutionHistory.fromJson(
            Files.readString(file), name.substring(0, name.indexOf("--"))),
        ENCRYPTING);
  }

  private static void replay(WorkflowExecutionHistory history, DataConverter converter)
      throws Exception {
    TestEnvironmentOptions.Builder options = TestEnvironmentOptions.newBuilder();
    if (converter != null) {
      options.setWorkflowClientOptions(
          WorkflowClientOptions.newBuilder().setDataConverter(converter).build());
    }
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(options.build())) {
      Worker worker = env.newWorker("replay");
      worker.registerWorkflowImplementationTypes(
          FineTunePipelineImpl.class,
          TrainCandidateImpl.class,
          DriftCheckImpl.class,
          EvalRunImpl.class,
          RolloutImpl.class);
      WorkflowReplayer.replayWorkflowExecution(history, worker);
    }
  }

  /** Every base64 string value in the history's JSON (payload data and metadata), decoded. */
  private static String decodedBlobs(String json) {
    StringBuilder all = new StringBuilder();
    var m = Pattern.compile("\"([A-Za-z0-9+/]{8,}={0,2})\"").matcher(json);
    while (m.find()) {
      try {
        all.append(new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8));
        all.append('\n');
      } catch (IllegalArgumentException notBase64) {
        // an id or a name that only looks like base64
      }
    }
    return all.toString();
  }

  /** The failure whole: replay reports the workflow task's failure as text inside its own. */
  private static String messages(Throwable t) {
    StringWriter all = new StringWriter();
    t.printStackTrace(new PrintWriter(all));
    return all.toString();
  }
}
