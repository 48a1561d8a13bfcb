package io.finetune.workflows.pipeline;

import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.training.CandidateResult;
import java.util.List;
import java.util.Map;

/**
 * Everything a person (or the CLI) needs to know about a run: stage, open checkpoint, every score
 * so far, every decision. Returned by the {@code status} query and, at the end, as the result.
 * {@code gateVerdict} says why the best candidate passed the gate or not (null in old runs).
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
    ModelVersion promoted) {}
