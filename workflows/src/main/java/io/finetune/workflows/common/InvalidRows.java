package io.finetune.workflows.common;

/**
 * The rows of a dataset file that could not be read and went to the data review instead ({@code
 * dataset.invalidRows: review}): a JSONL file in the artifact store, one {@code {"file", "line",
 * "reason", "text"}} a row.
 */
public record InvalidRows(String path, String sha256, int rows) {}
