package io.finetune.workflows.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
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
    return check(id, true);
  }

  private DriftResult check(String id, boolean retrain) {
    DriftCheck check =
        env.getWorkflowClient()
            .newWorkflowStub(
                DriftCheck.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(id)
                    .setTaskQueue(TaskQueues.FINE_TUNE)
                    .build());
    return check.check(new DriftCheckInput("triage", "/data/production.jsonl", retrain));
  }

  @Test
  void belowEveryThresholdNothingIsRetrained() throws Exception {
    DriftResult r = check("calm");

    assertFalse(r.drifted());
    assertTrue(r.exceeded().isEmpty());
    assertNull(r.retrainWorkflowId());
    assertEquals(0.90, r.liveMetrics().get("exact_match"));
    assertFalse(activities.calls.contains("prepareRetraining"));
    assertNull(r.note());
    Histories.replayAndMaybeRecord(env.getWorkflowClient(), "calm", "drift-check-no-drift");
  }

  @Test
  void withoutRetrainTheCheckOnlyMeasuresAndSaysSo() throws Exception {
    activities.newVocabularyRate = 0.20;
    DriftResult r = check("measure-only", false);

    assertTrue(r.drifted());
    assertNull(r.retrainWorkflowId());
    assertEquals("not started: the check was asked not to retrain", r.note());
    assertFalse(activities.calls.contains("prepareRetraining"));
    Histories.replayAndMaybeRecord(
        env.getWorkflowClient(), "measure-only", "drift-check-no-retrain");
  }

  @Test
  void aBatchWithoutLabeledRowsIsCheckedForVocabularyOnlyAndCannotRetrain() throws Exception {
    activities.productionLabeledRows = 0;
    activities.newVocabularyRate = 0.20;
    DriftResult r = check("unlabeled");

    assertTrue(r.drifted());
    assertTrue(r.liveMetrics().isEmpty(), "no labeled rows: no live accuracy");
    assertFalse(activities.calls.contains("evaluate ft:current production"));
    assertEquals("not started: the batch has no labeled rows to retrain with", r.note());
    assertNull(r.retrainWorkflowId());
    Histories.replayAndMaybeRecord(
        env.getWorkflowClient(), "unlabeled", "drift-check-unlabeled-batch");
  }

  @Test
  void aModelThatWasNeverPromotedFailsTheCheckSayingSo() {
    activities.current = null;
    var e = assertThrows(WorkflowFailedException.class, () -> check("nothing-promoted"));
    ApplicationFailure cause = (ApplicationFailure) e.getCause().getCause();
    assertEquals("No model called 'triage' has been promoted yet", cause.getOriginalMessage());
    assertEquals("InvalidInput", cause.getType());
    assertFalse(activities.calls.contains("compare"));
  }

  @Test
  void pastAThresholdARetrainingPipelineStartsWithTheFreshRows() throws Exception {
    activities.newVocabularyRate = 0.20;
    DriftResult r = check("drifted");

    assertTrue(r.drifted());
    assertEquals(1, r.exceeded().size());
    assertTrue(r.exceeded().get(0).startsWith("new-vocabulary rate 0.200 > 0.050"));
    assertEquals("triage-retrain", r.retrainWorkflowId());
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
    // The retraining data and the fresh hold-out are ours; the corner cases are the user's file.
    var retrainImports =
        activities.imports.subList(activities.imports.size() - 3, activities.imports.size());
    assertEquals(
        List.of("train input output", "corner-cases text label", "fresh-holdout input output"),
        retrainImports.stream()
            .map(i -> i.name() + " " + i.inputField() + " " + i.outputField())
            .toList());
    assertTrue(activities.calls.stream().filter(c -> c.equals("import train")).count() >= 1);
  }

  @Test
  void whileAModelIsRetrainingASecondDriftStartsNoOther() throws Exception {
    activities.newVocabularyRate = 0.20;
    DriftResult first = check("first");
    DriftResult second = check("second");

    assertEquals("triage-retrain", first.retrainWorkflowId());
    assertNull(second.retrainWorkflowId());
    assertTrue(second.drifted());
    assertTrue(second.note().startsWith("not started: triage-retrain (run "), second.note());
    assertTrue(second.note().endsWith(") is already retraining triage"));
    Histories.replayAndMaybeRecord(
        env.getWorkflowClient(), "second", "drift-check-already-retraining");
  }

  @Test
  void aFolderWithNothingNewIsRecordedAndNothingIsMeasured() throws Exception {
    activities.nothingNewInBatchFolder = true;
    DriftResult r = check("quiet");

    assertFalse(r.drifted());
    assertNull(r.statistics());
    assertTrue(r.batchFiles().isEmpty());
    assertEquals(
        "nothing new: no batch file arrived in /data/production.jsonl since the previous check"
            + " took files at 2023-11-14T22:13:20Z",
        r.note());
    assertFalse(activities.calls.contains("import production"));
    assertFalse(activities.calls.contains("compare"));
    assertEquals(
        "NOTHING_NEW",
        env.getWorkflowClient()
            .newUntypedWorkflowStub("quiet")
            .describe()
            .getTypedSearchAttributes()
            .get(FinetuneSearchAttributes.OUTCOME));
    Histories.replayAndMaybeRecord(env.getWorkflowClient(), "quiet", "drift-check-nothing-new");
  }

  @Test
  void aTracesCheckWithNothingNewSaysNoTraceArrived() throws Exception {
    activities.nothingNewInBatchFolder = true;
    DriftCheck check =
        env.getWorkflowClient()
            .newWorkflowStub(
                DriftCheck.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId("quiet-traces")
                    .setTaskQueue(TaskQueues.FINE_TUNE)
                    .build());
    // No batch path: the activity reads where the model's spec says (drift.source: traces).
    DriftResult r = check.check(new DriftCheckInput("triage", null, true));

    assertNull(r.statistics());
    assertEquals(
        "nothing new: no trace of triage arrived since the previous check took traces at"
            + " 2023-11-14T22:13:20Z",
        r.note());
    Histories.replayAndMaybeRecord(
        env.getWorkflowClient(), "quiet-traces", "drift-check-traces-nothing-new");
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

  @Test
  void aFieldPastItsTypesLimitIsDrift_andTypedStatisticsReplaceTheOldLabelCheck() {
    // The old check would call this drift; typed statistics say the dates are what moved.
    activities.labelDistance = 0.3;
    activities.fieldDrifts =
        List.of(
            new DriftActivities.FieldDrift(
                "reason", "category", "label distance", 0.04, 0.1, false, "labels as in training"),
            new DriftActivities.FieldDrift(
                "callback_date",
                "date",
                "out-of-range rate",
                0.96,
                0.05,
                true,
                "years never seen in training: 2024 (48 of 50 rows)"));
    DriftResult r = check("next-year");

    assertTrue(r.drifted());
    assertEquals(
        List.of(
            "callback_date out-of-range rate 0.960 > 0.050 (years never seen in training: 2024 (48"
                + " of 50 rows))"),
        r.exceeded());
    assertEquals(
        Map.of(), activities.lastCompare.fieldTypes(), "the spec's types (none named) are passed");
    assertEquals(0.05, activities.lastCompare.thresholds().outOfRangeLimit());
  }
}
