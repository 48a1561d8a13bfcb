package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.provider.ChatMessage;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Normalized dataset rows and their files: {@code {"input": ..., "output": ..., "context": [...]}},
 * where {@code output} is a JSON object (task fields) or a string (task text), and {@code context}
 * (only when there is one) the messages a chat row had before its input.
 */
public final class Rows {
  static final ObjectMapper JSON = new ObjectMapper();

  private Rows() {}

  /**
   * One example; {@code output} is null when the row is unlabeled, an object for task fields and
   * text for task text; {@code context} the chat messages before the input (empty for most rows).
   */
  public record Row(String input, JsonNode output, List<ChatMessage> context) {
    public Row {
      context = context == null ? List.of() : List.copyOf(context);
    }

    public Row(String input, JsonNode output) {
      this(input, output, List.of());
    }

    public boolean labeled() {
      return output != null;
    }

    /** The value of an output field as text ("" when missing). */
    public String value(String field) {
      JsonNode v = output == null ? null : output.get(field);
      return v == null || v.isNull() ? "" : v.isTextual() ? v.asText() : v.toString();
    }

    /** The whole answer as text: a text answer as is, an object as JSON (null: unlabeled). */
    public String answerText() {
      return output == null ? null : output.isTextual() ? output.asText() : output.toString();
    }

    /**
     * What a model is sent for this row: the row's context, after {@code prompt} as the system
     * message unless the context has its own, then the input as the user message.
     */
    public List<ChatMessage> messages(String prompt) {
      List<ChatMessage> out = new ArrayList<>(context.size() + 2);
      boolean ownSystem = context.stream().anyMatch(m -> m.role().equals(ChatMessage.SYSTEM));
      if (!ownSystem && prompt != null && !prompt.isBlank()) {
        out.add(ChatMessage.system(prompt));
      }
      out.addAll(context);
      out.add(ChatMessage.user(input));
      return out;
    }
  }

  /**
   * The rows of a dataset one at a time, read as they are iterated (once): for datasets of any
   * size. Each comes with its number in the dataset as imported ({@link #ROW_ID}, else its position
   * from 1).
   */
  public static RowStream each(ArtifactStore store, DatasetRef ref) {
    try {
      return new RowStream(
          Files.newBufferedReader(store.existing(ref.path()), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A row and its number in the dataset as imported. */
  public record Numbered(int id, Row row) {}

  /** See {@link #each}. */
  public static final class RowStream implements Iterable<Numbered>, AutoCloseable {
    private final BufferedReader in;
    private boolean iterated;

    private RowStream(BufferedReader in) {
      this.in = in;
    }

    @Override
    public java.util.Iterator<Numbered> iterator() {
      if (iterated) {
        throw new IllegalStateException("a row stream is read once");
      }
      iterated = true;
      return new java.util.Iterator<>() {
        private int position;
        private String next = readLine();

        @Override
        public boolean hasNext() {
          return next != null;
        }

        @Override
        public Numbered next() {
          if (next == null) {
            throw new java.util.NoSuchElementException();
          }
          try {
            JsonNode node = JSON.readTree(next);
            position++;
            next = readLine();
            JsonNode id = node.get(ROW_ID);
            return new Numbered(
                id != null && id.canConvertToInt() ? id.asInt() : position, row(node));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }

        private String readLine() {
          try {
            return in.readLine();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
    }

    @Override
    public void close() {
      try {
        in.close();
      } catch (IOException ignored) {
        // read only
      }
    }
  }

  /** A dataset written row by row; {@link #commit} gives its reference. */
  public static final class Sink implements AutoCloseable {
    private final String name;
    private final ArtifactStore.LineSink lines;
    private int rows;
    private int labeled;

    public Sink(ArtifactStore store, String name) {
      this.name = name;
      this.lines = store.lines("datasets", "jsonl");
    }

    public void add(Row row) {
      add(node(row));
      labeled += row.labeled() ? 1 : 0;
    }

    /** A line of the pipeline's format with fields of its own (e.g. {@link #ROW_ID}). */
    public void add(ObjectNode line, boolean isLabeled) {
      add(line);
      labeled += isLabeled ? 1 : 0;
    }

    private void add(ObjectNode line) {
      lines.line(json(line));
      rows++;
    }

    public int rows() {
      return rows;
    }

    public DatasetRef commit() {
      ArtifactRef ref = lines.commit();
      return new DatasetRef(name, ref.path(), ref.sha256(), rows, labeled);
    }

    @Override
    public void close() {
      lines.close();
    }
  }

  /** One line of a dataset file, parsed, as a row. */
  public static Row row(JsonNode node) {
    JsonNode out = node.get("output");
    return new Row(
        node.get("input").asText(),
        out != null && (out.isObject() || out.isTextual()) ? out : null,
        context(node.get("context")));
  }

  public static List<Row> read(ArtifactStore store, DatasetRef ref) {
    List<Row> rows = new ArrayList<>(ref.rows());
    try (BufferedReader in =
        Files.newBufferedReader(store.existing(ref.path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        rows.add(row(JSON.readTree(line)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /** The field of a corrected dataset's rows that keeps their number in the dataset as imported. */
  public static final String ROW_ID = "row";

  /**
   * The chat context the pipeline wrote beside a row; none unless every element is a chat turn (a
   * user's own "context" field of another shape, e.g. retrieved documents, is not one).
   */
  static List<ChatMessage> context(JsonNode array) {
    List<ChatMessage> out = new ArrayList<>();
    if (array == null || !array.isArray()) {
      return out;
    }
    for (JsonNode m : array) {
      if (!m.isObject()
          || !List.of(ChatMessage.SYSTEM, ChatMessage.USER, ChatMessage.ASSISTANT)
              .contains(m.path("role").asText())
          || !m.path("content").isTextual()) {
        return new ArrayList<>();
      }
      out.add(new ChatMessage(m.path("role").asText(), m.path("content").asText()));
    }
    return out;
  }

  public static DatasetRef write(ArtifactStore store, String name, List<Row> rows) {
    ArtifactRef ref =
        store.writeLines(
            "datasets", "jsonl", () -> rows.stream().map(r -> json(node(r))).iterator());
    int labeled = (int) rows.stream().filter(Row::labeled).count();
    return new DatasetRef(name, ref.path(), ref.sha256(), rows.size(), labeled);
  }

  /** One row as a line of a dataset file: input, output (when labeled), context (when any). */
  public static ObjectNode node(Row r) {
    ObjectNode node = JSON.createObjectNode().put("input", r.input());
    if (r.output() != null) {
      node.set("output", r.output());
    }
    // Written only when there is one: other rows stay as they always were.
    if (!r.context().isEmpty()) {
      ArrayNode context = node.putArray("context");
      r.context()
          .forEach(m -> context.addObject().put("role", m.role()).put("content", m.content()));
    }
    return node;
  }

  /** One line of JSON. */
  public static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Lowercase words only: what counts as "the same input" for duplicates and leakage. */
  public static String normalize(String text) {
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").trim();
  }

  /** Lowercase words of a text, digits-only tokens and ids left out (they are always new). */
  public static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    for (String t : normalize(text).split(" ", -1)) {
      if (!t.isEmpty() && !t.matches(".*\\d.*")) {
        out.add(t);
      }
    }
    return out;
  }
}
