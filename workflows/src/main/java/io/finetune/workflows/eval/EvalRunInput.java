package io.finetune.workflows.eval;

import io.finetune.workflows.spec.PipelineSpec;

/**
 * What {@link EvalRun} evaluates: {@code model} with the {@code spec}'s prompt on its test set and
 * eval sets, and, when {@code against} is not null, that second model too, compared with the first.
 * {@code provider} serves both (null: the spec's {@code model.promptProvider} for {@code
 * model.promptModel}, else the spec's {@code provider}).
 *
 * <p>Histories hold this record: append components, never rename or remove one.
 */
public record EvalRunInput(PipelineSpec spec, String model, String against, String provider) {}
