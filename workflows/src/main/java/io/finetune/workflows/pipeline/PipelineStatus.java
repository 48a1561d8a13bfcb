package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.rollout.RolloutResult;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.training.CandidateResult;
import java.util.List;
import java.util.Map;

/**
 * Everything a person (or the CLI) needs to know about a run: stage, open checkpoint, every score
 * so far, every decision. Returned by the {@code status} query and, at the end, as the result.
 * {@code gateVerdict} says why the best candidate passed the gate or not (null in old runs); {@code
 * judge}: the pairwise judge, its agreement with people and whether it may gate (null without a
 * judge, and in old runs); {@code rollout}: how the promoted version's canary ended (null without a
 * rollout, while it runs — see the {@code rollout-NAME} workflow — and in old runs).
 *
 * <p>Histories hold this record (the run's result): append components, never remove one.
 */
public record PipelineStatus(
    String name,
    String trigger,
    Stage stage,
    Checkpoint pendingCheckpoint,
    String targetMetric,
    double targetScore,
    SplitResult split,
    EvalResult baseline,
    Map<String, EvalResult> baselineEvalSets,
    DataReport dataReport,
    List<Size> sizes,
    List<CandidateResult> candidates,
    Map<String, String> failedCandidates,
    String bestModel,
    Boolean gatePassed,
    String gateVerdict,
    List<DecisionRecord> decisions,
    List<IgnoredSignal> ignoredSignals,
    List<String> notes,
    Outcome outcome,
    String outcomeReason,
    ModelVersion promoted,
    JudgeStanding judge,
    EvalResult production,
    RolloutResult rollout,
    // Left out when empty or null, so that statuses without them are written as before.
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<CorrectionRecord> corrections,
    @JsonInclude(JsonInclude.Include.NON_NULL) Suggestions suggestions) {

  public PipelineStatus {
    corrections = corrections == null ? List.of() : corrections;
  }

  /** A status from before corrections at the data review. */
  public PipelineStatus(
      String name,
      String trigger,
      Stage stage,
      Checkpoint pendingCheckpoint,
      String targetMetric,
      double targetScore,
      SplitResult split,
      EvalResult baseline,
      Map<String, EvalResult> baselineEvalSets,
      DataReport dataReport,
      List<Size> sizes,
      List<CandidateResult> candidates,
      Map<String, String> failedCandidates,
      String bestModel,
      Boolean gatePassed,
      String gateVerdict,
      List<DecisionRecord> decisions,
      List<IgnoredSignal> ignoredSignals,
      List<String> notes,
      Outcome outcome,
      String outcomeReason,
      ModelVersion promoted,
      JudgeStanding judge,
      EvalResult production,
      RolloutResult rollout) {
    this(
        name,
        trigger,
        stage,
        pendingCheckpoint,
        targetMetric,
        targetScore,
        split,
        baseline,
        baselineEvalSets,
        dataReport,
        sizes,
        candidates,
        failedCandidates,
        bestModel,
        gatePassed,
        gateVerdict,
        decisions,
        ignoredSignals,
        notes,
        outcome,
        outcomeReason,
        promoted,
        judge,
        production,
        rollout,
        List.of(),
        null);
  }

  /** A status from before rollouts. */
  public PipelineStatus(
      String name,
      String trigger,
      Stage stage,
      Checkpoint pendingCheckpoint,
      String targetMetric,
      double targetScore,
      SplitResult split,
      EvalResult baseline,
      Map<String, EvalResult> baselineEvalSets,
      DataReport dataReport,
      List<Size> sizes,
      List<CandidateResult> candidates,
      Map<String, String> failedCandidates,
      String bestModel,
      Boolean gatePassed,
      String gateVerdict,
      List<DecisionRecord> decisions,
      List<IgnoredSignal> ignoredSignals,
      List<String> notes,
      Outcome outcome,
      String outcomeReason,
      ModelVersion promoted,
      JudgeStanding judge,
      EvalResult production) {
    this(
        name,
        trigger,
        stage,
        pendingCheckpoint,
        targetMetric,
        targetScore,
        split,
        baseline,
        baselineEvalSets,
        dataReport,
        sizes,
        candidates,
        failedCandidates,
        bestModel,
        gatePassed,
        gateVerdict,
        decisions,
        ignoredSignals,
        notes,
        outcome,
        outcomeReason,
        promoted,
        judge,
        production,
        null);
  }

  public PipelineStatus(
      String name,
      String trigger,
      Stage stage,
      Checkpoint pendingCheckpoint,
      String targetMetric,
      double targetScore,
      SplitResult split,
      EvalResult baseline,
      Map<String, EvalResult> baselineEvalSets,
      DataReport dataReport,
      List<Size> sizes,
      List<CandidateResult> candidates,
      Map<String, String> failedCandidates,
      String bestModel,
      Boolean gatePassed,
      String gateVerdict,
      List<DecisionRecord> decisions,
      List<IgnoredSignal> ignoredSignals,
      List<String> notes,
      Outcome outcome,
      String outcomeReason,
      ModelVersion promoted,
      JudgeStanding judge) {
    this(
        name,
        trigger,
        stage,
        pendingCheckpoint,
        targetMetric,
        targetScore,
        split,
        baseline,
        baselineEvalSets,
        dataReport,
        sizes,
        candidates,
        failedCandidates,
        bestModel,
        gatePassed,
        gateVerdict,
        decisions,
        ignoredSignals,
        notes,
        outcome,
        outcomeReason,
        promoted,
        judge,
        null);
  }

  public PipelineStatus(
      String name,
      String trigger,
      Stage stage,
      Checkpoint pendingCheckpoint,
      String targetMetric,
      double targetScore,
      SplitResult split,
      EvalResult baseline,
      Map<String, EvalResult> baselineEvalSets,
      DataReport dataReport,
      List<Size> sizes,
      List<CandidateResult> candidates,
      Map<String, String> failedCandidates,
      String bestModel,
      Boolean gatePassed,
      String gateVerdict,
      List<DecisionRecord> decisions,
      List<IgnoredSignal> ignoredSignals,
      List<String> notes,
      Outcome outcome,
      String outcomeReason,
      ModelVersion promoted) {
    this(
        name,
        trigger,
        stage,
        pendingCheckpoint,
        targetMetric,
        targetScore,
        split,
        baseline,
        baselineEvalSets,
        dataReport,
        sizes,
        candidates,
        failedCandidates,
        bestModel,
        gatePassed,
        gateVerdict,
        decisions,
        ignoredSignals,
        notes,
        outcome,
        outcomeReason,
        promoted,
        null);
  }
}
