package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A reviewer's corrections at the data review, sent by reference: {@code path} is the corrections
 * file on the worker's machine (absolute), {@code sha256} its content as sent, so that a file
 * edited after sending is refused rather than half applied. The Update {@code correct} applies it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Corrections(String path, String sha256, String by, String comment) {}
