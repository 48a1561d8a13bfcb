package io.finetune.workflows.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DriftCheckTest {
  private TestWorkflowEnvironment env;
  private FakeActivities activities;

  @BeforeEach
  void setUp() {
    activities = new FakeActivities();
    activities.exactMatchByModel.put("ft:current", 0.90);
    activities.current =
        new ModelVersion(
            "triage",
            1,
            "ft:current",
            "local",
            "medium",
            Map.of("exact_match", 0.93),
            FakeActivities.spec(List.of(Size.SMALL), List.of()),
            new DatasetRef("train", "/store/train.jsonl", "sha-train", 900, 900),
            "run-1",
            "alice",
            0);
    env = activities.startEnvironment();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private DriftResult check(String id) {
    DriftCheck check =
        env.getWorkflowClient()
            .newWorkflowStub(
                DriftCheck.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(id)
                    .setTaskQueue(TaskQueues.FINE_TUNE)
                    .build());
    return check.check(new DriftCheckInput("triage", "/data/production.jsonl", true));
  }

  @Test
  void belowEveryThresholdNothingIsRetrained() {
    DriftResult r = check("calm");

    assertFalse(r.drifted());
    assertTrue(r.exceeded().isEmpty());
    assertNull(r.retrainWorkflowId());
    assertEquals(0.90, r.liveMetrics().get("exact_match"));
    assertFalse(activities.calls.contains("prepareRetraining"));
  }

  @Test
  void pastAThresholdARetrainingPipelineStartsWithTheFreshRows() throws Exception {
    activities.newVocabularyRate = 0.20;
    DriftResult r = check("drifted");

    assertTrue(r.drifted());
    assertEquals(1, r.exceeded().size());
    assertTrue(r.exceeded().get(0).startsWith("new-vocabulary rate 0.200 > 0.050"));
    assertEquals("drifted-retrain", r.retrainWorkflowId());
    assertEquals(80, r.freshRowsAdded());
    assertEquals(0.90, r.currentModelOnFreshHoldout().get("exact_match"));

    // The retraining run outlives the check and trains on the merged data.
    FineTunePipeline retrain =
        env.getWorkflowClient().newWorkflowStub(FineTunePipeline.class, r.retrainWorkflowId());
    PipelineStatus s = null;
    for (int i = 0; i < 1200 && (s == null || s.pendingCheckpoint() == null); i++) {
      Thread.sleep(25);
      s = retrain.status();
    }
    assertEquals(Checkpoint.DATA_REVIEW, s.pendingCheckpoint());
    assertTrue(s.trigger().startsWith("drift-check drifted: new-vocabulary rate"));
    assertTrue(activities.calls.contains("evaluate local-large fresh-holdout"));
    assertTrue(activities.calls.stream().filter(c -> c.equals("import train")).count() >= 1);
  }

  @Test
  void lowLiveAccuracyAloneIsDrift() {
    activities.exactMatchByModel.put("ft:current", 0.50);
    DriftResult r = check("inaccurate");

    assertTrue(r.drifted());
    assertEquals(List.of("live exact_match 0.500 < 0.800"), r.exceeded());
  }

  @Test
  void labelDistributionShiftIsDrift() {
    activities.labelDistance = 0.3;
    DriftResult r = check("shifted");

    assertTrue(r.drifted());
    assertTrue(r.exceeded().get(0).startsWith("label distribution distance 0.300 > 0.100"));
  }
}
