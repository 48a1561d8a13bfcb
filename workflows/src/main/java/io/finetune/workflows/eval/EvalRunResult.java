package io.finetune.workflows.eval;

import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.finetune.workflows.pipeline.JudgeStanding;
import java.util.List;
import java.util.Map;

/**
 * An {@link EvalRun}'s scores: {@code model}'s on the test set ({@code modelTest}, its intervals
 * compared with {@code against}'s when there is one) and on each eval set by name; the same for
 * {@code against} (null and empty without one); the judge's verdict of {@code model} over {@code
 * against} with its standing (null without a judge or a second model, or when it gave none: {@code
 * notes} say why). Every eval result carries its comparison with the previous run ({@code
 * previousRun}). While the run goes on, what is not scored yet is null or absent.
 *
 * <p>Histories hold this record: append components, never rename or remove one.
 */
public record EvalRunResult(
    String specName,
    String metric,
    String model,
    String against,
    DatasetRef test,
    EvalResult modelTest,
    Map<String, EvalResult> modelEvalSets,
    EvalResult againstTest,
    Map<String, EvalResult> againstEvalSets,
    JudgeResult judge,
    JudgeStanding judgeStanding,
    List<String> notes) {}
