package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Asks a stronger model to answer the flagged rows of the data review, as suggestions a person may
 * accept in a corrections file (never applied by themselves). {@code provider}: null for the prompt
 * baseline's provider.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SuggestionRequest(String model, String provider, String by) {}
