package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.spec.SpecLoader;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * {@code finetune.activities.*} reach the activities the workflows schedule: the timeouts recorded
 * in the histories are the configured ones, and the coded ones stay where nothing was configured.
 */
@SpringBootTest(
    properties = {
      "spring.temporal.test-server.enabled=true",
      "spring.temporal.connection.target=local",
      "finetune.home=${java.io.tmpdir}/finetune-worker-test-${random.uuid}",
      "finetune.activities.heartbeat-timeout=7s",
      "finetune.activities.start-to-close-timeout=45s"
    })
class ActivityTimeoutsTest {
  private static final Path EXAMPLE = Path.of("../examples/ticket-triage");

  @Autowired WorkflowClient client;

  @Autowired TestWorkflowEnvironment testServer;

  @BeforeEach
  void registerSearchAttributes() {
    FinetuneSearchAttributes.definitions().forEach(testServer::registerSearchAttribute);
  }

  @Test
  void configuredTimeoutsAreTheScheduledActivitiesTimeouts() throws Exception {
    PipelineSpec example = SpecLoader.load(EXAMPLE.resolve("spec.yaml"));
    PipelineSpec spec = example.withSizes(List.of(Size.SMALL));
    FineTunePipeline pipeline =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("timeouts")
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    WorkflowClient.start(pipeline::run, new PipelineInput(spec, "test"));
    PipelineStatus s = pipeline.waitUntilDecisionNeeded();
    assertEquals(Checkpoint.DATA_REVIEW, s.pendingCheckpoint());

    Map<String, ActivityTaskScheduledEventAttributes> pipelineActivities = scheduled("timeouts");
    assertTimeouts(pipelineActivities.get("ImportDataset"), Duration.ofSeconds(45), null);
    assertTimeouts(pipelineActivities.get("Split"), Duration.ofSeconds(45), null);
    assertTimeouts(pipelineActivities.get("Profile"), Duration.ofSeconds(45), null);
    assertTimeouts(pipelineActivities.get("Evaluate"), Duration.ofHours(6), Duration.ofSeconds(7));

    pipeline.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    s = pipeline.waitUntilDecisionNeeded();
    assertEquals(Checkpoint.PROMOTION, s.pendingCheckpoint(), "stage " + s.stage());

    Map<String, ActivityTaskScheduledEventAttributes> child = scheduled("timeouts-train-small");
    assertTimeouts(child.get("StartJob"), Duration.ofSeconds(45), null);
    assertTimeouts(child.get("UploadTrainingFile"), Duration.ofSeconds(45), null);
    assertTimeouts(child.get("AwaitJob"), Duration.ofHours(24), Duration.ofSeconds(7));
    assertTimeouts(child.get("Evaluate"), Duration.ofHours(6), Duration.ofSeconds(7));
    pipeline.decide(Decision.reject(Checkpoint.PROMOTION, "alice", "test over"));
  }

  /** The first scheduled event of each activity type in a workflow's history. */
  private Map<String, ActivityTaskScheduledEventAttributes> scheduled(String workflowId) {
    Map<String, ActivityTaskScheduledEventAttributes> byType = new TreeMap<>();
    for (HistoryEvent e : client.fetchHistory(workflowId).getEvents()) {
      if (e.hasActivityTaskScheduledEventAttributes()) {
        ActivityTaskScheduledEventAttributes a = e.getActivityTaskScheduledEventAttributes();
        byType.putIfAbsent(a.getActivityType().getName(), a);
      }
    }
    assertTrue(!byType.isEmpty(), "no activity in " + workflowId);
    return byType;
  }

  private static void assertTimeouts(
      ActivityTaskScheduledEventAttributes a, Duration startToClose, Duration heartbeat) {
    assertTrue(a != null, "activity not scheduled");
    String type = a.getActivityType().getName();
    assertEquals(startToClose.toSeconds(), a.getStartToCloseTimeout().getSeconds(), type);
    assertEquals(
        heartbeat == null ? 0 : heartbeat.toSeconds(), a.getHeartbeatTimeout().getSeconds(), type);
  }
}
