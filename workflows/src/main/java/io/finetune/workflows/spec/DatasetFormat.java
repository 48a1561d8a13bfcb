package io.finetune.workflows.spec;

import java.util.List;

/**
 * How a dataset row holds its answer. Import turns every format into the pipeline's own rows
 * ({@code {"input": ..., "output": ..., "context": [...]}}), so later stages need not care.
 */
public final class DatasetFormat {
  /** The output field is a JSON object with the spec's output fields. */
  public static final String FIELDS = "fields";

  /** The output field is a string holding a JSON object; parsed on import. */
  public static final String JSON_STRING = "json-string";

  /** The output field is plain text (task {@code text}). */
  public static final String TEXT = "text";

  /**
   * OpenAI's chat format, {@code {"messages": [{"role": ..., "content": ...}, ...]}}: the last
   * assistant message is the answer, the user message before it the input, and what comes before
   * that (system message, earlier turns) the context.
   */
  public static final String CHAT = "chat";

  public static final List<String> ALL = List.of(FIELDS, JSON_STRING, TEXT, CHAT);

  private DatasetFormat() {}
}
