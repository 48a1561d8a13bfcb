package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.training.CandidateResult;
import io.temporal.common.SearchAttributeUpdate;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a pipeline run shows itself outside its history, each time it changes stage: the Web UI's
 * "current details", the search attributes that find and sort runs, and the stage-duration metric.
 * None of it adds a decision to the workflow: current details and metrics are no commands (metrics
 * are silent during replay), and search attributes are set only by runs started on a version of the
 * code that sets them.
 */
final class RunVisibility {
  /** The metric timing each stage of a run. */
  static final String STAGE_DURATION = "finetune_pipeline_stage_duration";

  private final boolean searchAttributes;
  private Stage timedStage;
  private long timedSince;

  RunVisibility(boolean searchAttributes) {
    this.searchAttributes = searchAttributes;
  }

  /** Shows {@code status}; {@code datasetSha256} is the imported training data's, once known. */
  void show(PipelineStatus status, String datasetSha256) {
    timeStage(status.stage());
    Workflow.setCurrentDetails(CurrentDetails.of(Workflow.getInfo().getWorkflowId(), status));
    if (searchAttributes) {
      Workflow.upsertTypedSearchAttributes(
          searchAttributes(status, datasetSha256).toArray(new SearchAttributeUpdate<?>[0]));
    }
  }

  /** Every attribute known so far, from the status: a pure function. */
  static List<SearchAttributeUpdate<?>> searchAttributes(PipelineStatus s, String datasetSha256) {
    List<SearchAttributeUpdate<?>> updates = new ArrayList<>();
    updates.add(FinetuneSearchAttributes.MODEL.valueSet(s.name()));
    updates.add(
        FinetuneSearchAttributes.TRIGGER.valueSet(
            FinetuneSearchAttributes.triggerKeyword(s.trigger())));
    updates.add(FinetuneSearchAttributes.STAGE.valueSet(s.stage().name()));
    if (datasetSha256 != null) {
      updates.add(FinetuneSearchAttributes.DATASET_SHA256.valueSet(datasetSha256));
    }
    if (s.baseline() != null) {
      updates.add(
          FinetuneSearchAttributes.BASELINE_SCORE.valueSet(
              Scores.of(s.baseline().metrics(), s.targetMetric())));
    }
    s.candidates().stream()
        .filter(c -> c.modelId().equals(s.bestModel()))
        .findFirst()
        .ifPresent(
            (CandidateResult best) -> {
              updates.add(FinetuneSearchAttributes.BEST_SIZE.valueSet(best.size().id()));
              updates.add(
                  FinetuneSearchAttributes.BEST_SCORE.valueSet(
                      Scores.of(best.test().metrics(), s.targetMetric())));
            });
    if (s.outcome() != null) {
      updates.add(FinetuneSearchAttributes.OUTCOME.valueSet(s.outcome().name()));
    }
    return updates;
  }

  /**
   * Reports how long the stage being left took, as metric {@value #STAGE_DURATION} tagged {@code
   * stage} (a checkpoint's stage is the wait for a person), in workflow time.
   */
  private void timeStage(Stage next) {
    if (next == timedStage) {
      return;
    }
    long now = Workflow.currentTimeMillis();
    if (timedStage != null) {
      Workflow.getMetricsScope()
          .tagged(Map.of("stage", timedStage.name().toLowerCase(Locale.ROOT)))
          .timer(STAGE_DURATION)
          .record(com.uber.m3.util.Duration.ofMillis((double) (now - timedSince)));
    }
    timedStage = next;
    timedSince = now;
  }
}
