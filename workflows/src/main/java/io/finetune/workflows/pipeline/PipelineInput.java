package io.finetune.workflows.pipeline;

import io.finetune.workflows.spec.PipelineSpec;

/** A completed spec (see SpecLoader) and what started the run ("cli", "drift-check ..."). */
public record PipelineInput(PipelineSpec spec, String trigger) {}
