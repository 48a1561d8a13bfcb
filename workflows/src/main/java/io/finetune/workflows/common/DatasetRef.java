package io.finetune.workflows.common;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A dataset in the artifact store, by reference: the file's path and the sha256 of its bytes. Rows
 * are normalized JSONL, {@code {"input": "...", "output": {...}}}; {@code labeledRows} have an
 * output. {@code invalidRows}: the rows of the source file that could not be read and were kept out
 * for the data review (null: none, or the spec fails on them).
 */
public record DatasetRef(
    String name,
    String path,
    String sha256,
    int rows,
    int labeledRows,
    // Left out when there are none, so that every other reference is written as before.
    @JsonInclude(JsonInclude.Include.NON_NULL) InvalidRows invalidRows) {

  public DatasetRef(String name, String path, String sha256, int rows, int labeledRows) {
    this(name, path, sha256, rows, labeledRows, null);
  }

  /** {@code invalidRows}: the rows that could not be read, kept out (null: none). */
  public DatasetRef withInvalidRows(InvalidRows invalid) {
    return new DatasetRef(name, path, sha256, rows, labeledRows, invalid);
  }
}
