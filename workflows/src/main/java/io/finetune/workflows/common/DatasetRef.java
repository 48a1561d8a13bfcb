package io.finetune.workflows.common;

/**
 * A dataset in the artifact store, by reference: the file's path and the sha256 of its bytes. Rows
 * are normalized JSONL, {@code {"input": "...", "output": {...}}}; {@code labeledRows} have an
 * output.
 */
public record DatasetRef(String name, String path, String sha256, int rows, int labeledRows) {}
