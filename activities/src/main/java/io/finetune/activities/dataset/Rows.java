package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/** Normalized dataset rows ({@code {"input": ..., "output": {...}}}) and their files. */
public final class Rows {
  static final ObjectMapper JSON = new ObjectMapper();

  private Rows() {}

  /** One example; {@code output} is null when the row is unlabeled. */
  public record Row(String input, ObjectNode output) {
    public boolean labeled() {
      return output != null;
    }

    /** The value of an output field as text ("" when missing). */
    public String value(String field) {
      JsonNode v = output == null ? null : output.get(field);
      return v == null || v.isNull() ? "" : v.isTextual() ? v.asText() : v.toString();
    }
  }

  public static List<Row> read(ArtifactStore store, DatasetRef ref) {
    List<Row> rows = new ArrayList<>(ref.rows());
    try (BufferedReader in =
        Files.newBufferedReader(store.existing(ref.path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode node = JSON.readTree(line);
        JsonNode out = node.get("output");
        rows.add(new Row(node.get("input").asText(), out instanceof ObjectNode o ? o : null));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  public static DatasetRef write(ArtifactStore store, String name, List<Row> rows) {
    ArtifactRef ref =
        store.writeLines(
            "datasets",
            "jsonl",
            () ->
                rows.stream()
                    .map(
                        r -> {
                          ObjectNode node = JSON.createObjectNode().put("input", r.input());
                          if (r.output() != null) {
                            node.set("output", r.output());
                          }
                          return json(node);
                        })
                    .iterator());
    int labeled = (int) rows.stream().filter(Row::labeled).count();
    return new DatasetRef(name, ref.path(), ref.sha256(), rows.size(), labeled);
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
    for (String t : normalize(text).split(" ")) {
      if (!t.isEmpty() && !t.matches(".*\\d.*")) {
        out.add(t);
      }
    }
    return out;
  }
}
