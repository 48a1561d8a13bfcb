package io.finetune.activities.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.dataset.DatasetActivities.CorrectionRequest;
import io.finetune.workflows.dataset.DatasetActivities.CorrectionResult;
import io.finetune.workflows.spec.PipelineSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A reviewer's corrections file, one JSON object per line, as {@code ./finetune review --export}
 * writes it and a person edits it: {@code row} (the row's number in the data report), {@code
 * action} ({@value #KEEP}, {@value #RELABEL} with a new {@code output}, {@value #ACCEPT} to take
 * the line's {@code suggested} answer, {@value #EXCLUDE}), and a {@code reason} for every change.
 * Other fields ({@code input}, {@code baseline}, {@code reasons}...) are there to read; an {@code
 * input} that is not the row's own means the file belongs to another run and is refused.
 *
 * <p>Every line is checked before anything is written: a file with a problem produces no version.
 */
public final class Corrections {
  public static final String KEEP = "keep";
  public static final String RELABEL = "relabel";
  public static final String ACCEPT = "accept";
  public static final String EXCLUDE = "exclude";
  public static final List<String> ACTIONS = List.of(KEEP, RELABEL, ACCEPT, EXCLUDE);

  /** Problems listed before the rest are only counted. */
  static final int PROBLEMS_SHOWN = 20;

  /** One change to one row: its new answer (null when excluded), why, and from which line. */
  record Change(int row, int line, String action, JsonNode output, String reason) {}

  private Corrections() {}

  static CorrectionResult apply(ArtifactStore store, CorrectionRequest r) {
    byte[] bytes = read(r.path());
    String sha = ArtifactStore.sha256Hex(bytes);
    if (r.sha256() != null && !r.sha256().equals(sha)) {
      throw Failures.invalidInput(
          r.path()
              + ": changed since it was sent (sha256 "
              + sha.substring(0, 12)
              + ", sent as "
              + r.sha256().substring(0, Math.min(12, r.sha256().length()))
              + "): send it again");
    }
    String text = text(r.path(), bytes);
    // Streamed: the rows the file names are looked up in one pass, the new version written in a
    // second; memory grows with the corrections, not with the data.
    Map<Integer, Row> named = named(store, r.data(), text);
    Map<Integer, Change> changes = parse(r, text, named);

    List<ObjectNode> changed = new ArrayList<>();
    int relabeled = 0;
    int excluded = 0;
    DatasetRef version;
    try (Rows.Sink out = new Rows.Sink(store, r.data().name());
        Rows.RowStream rows = Rows.each(store, r.data())) {
      for (Rows.Numbered x : rows) {
        Row row = x.row();
        Change c = changes.get(x.id());
        if (c != null) {
          changed.add(lineageEntry(c, row));
        }
        if (c != null && c.action().equals(EXCLUDE)) {
          excluded++;
          continue;
        }
        if (c != null) {
          relabeled++;
          row = new Row(row.input(), c.output(), row.context());
        }
        ObjectNode line = Rows.JSON.createObjectNode().put(Rows.ROW_ID, x.id());
        line.setAll(Rows.node(row));
        out.add(line, row.labeled());
      }
      version = out.commit();
    }
    ArtifactRef kept = store.write("corrections", "jsonl", out -> out.write(bytes));
    ObjectNode lineage = Rows.JSON.createObjectNode();
    lineage.put("dataset", r.data().name()).put("version", r.version());
    lineage.set("parent", ref(r.data()));
    lineage.set("data", ref(version));
    lineage
        .putObject("corrections")
        .put("sentAs", r.path())
        .put("path", kept.path())
        .put("sha256", kept.sha256());
    lineage.put("by", r.by()).put("comment", r.comment());
    lineage.put("relabeled", relabeled).put("excluded", excluded);
    lineage.putArray("changes").addAll(changed);
    ArtifactRef lineageRef =
        store.write(
            "lineage",
            "json",
            out -> Rows.JSON.writerWithDefaultPrettyPrinter().writeValue(out, lineage));
    return new CorrectionResult(version, lineageRef, kept, r.version(), relabeled, excluded);
  }

  private static ObjectNode ref(DatasetRef d) {
    return Rows.JSON
        .createObjectNode()
        .put("path", d.path())
        .put("sha256", d.sha256())
        .put("rows", d.rows());
  }

  private static ObjectNode lineageEntry(Change c, Row before) {
    ObjectNode e = Rows.JSON.createObjectNode().put("row", c.row()).put("action", c.action());
    e.put("reason", c.reason()).put("input", before.input());
    e.set("before", before.output());
    if (!c.action().equals(EXCLUDE)) {
      e.set("after", c.output());
    }
    return e;
  }

  private static byte[] read(String path) {
    try {
      return Files.readAllBytes(Path.of(path));
    } catch (NoSuchFileException e) {
      throw Failures.invalidInput(
          path + ": no such file (the worker reads it: is it on the worker's machine?)");
    } catch (IOException e) {
      throw Failures.invalidInput(path + ": cannot be read: " + e.getMessage());
    }
  }

  private static String text(String path, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw Failures.invalidInput(path + ": not UTF-8 text");
    }
  }

  /** The rows of {@code data} whose number a line of {@code text} names, by number. */
  private static Map<Integer, Row> named(ArtifactStore store, DatasetRef data, String text) {
    Set<Integer> wanted = new HashSet<>();
    for (String line : text.split("\r?\n", -1)) {
      try {
        JsonNode row = line.isBlank() ? null : Rows.JSON.readTree(line).get("row");
        if (row != null && row.isIntegralNumber() && row.canConvertToInt()) {
          wanted.add(row.asInt());
        }
      } catch (JsonProcessingException notJson) {
        // said with its line by parse
      }
    }
    Map<Integer, Row> named = new HashMap<>();
    try (Rows.RowStream rows = Rows.each(store, data)) {
      for (Rows.Numbered x : rows) {
        if (wanted.contains(x.id())) {
          named.put(x.id(), x.row());
        }
      }
    }
    return named;
  }

  /** Every line checked; the changes by row, or every problem found (file, line, field). */
  static Map<Integer, Change> parse(CorrectionRequest r, String text, Map<Integer, Row> named) {
    Map<Integer, Change> changes = new LinkedHashMap<>();
    Map<Integer, Integer> lineOf = new HashMap<>();
    List<String> problems = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    int nonBlank = 0;
    for (int n = 1; n <= lines.length; n++) {
      String line = lines[n - 1];
      if (line.isBlank()) {
        continue;
      }
      nonBlank++;
      try {
        Change c = change(r, line, n, named);
        Integer earlier = lineOf.putIfAbsent(c.row(), n);
        if (earlier != null) {
          throw new LineProblem("row " + c.row() + " is already corrected on line " + earlier);
        }
        if (!c.action().equals(KEEP)) {
          changes.put(c.row(), c);
        }
      } catch (LineProblem e) {
        problems.add(r.path() + ":" + n + ": " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      String shown =
          String.join("\n", problems.subList(0, Math.min(PROBLEMS_SHOWN, problems.size())));
      throw Failures.invalidInput(
          problems.size()
              + " problem(s) in the corrections, nothing applied:\n"
              + shown
              + (problems.size() > PROBLEMS_SHOWN
                  ? "\n... and " + (problems.size() - PROBLEMS_SHOWN) + " more"
                  : ""));
    }
    if (changes.isEmpty()) {
      throw Failures.invalidInput(
          r.path()
              + ": no corrections ("
              + (nonBlank == 0 ? "the file is empty" : "every line says " + KEEP)
              + "): set a line's action to "
              + RELABEL
              + ", "
              + ACCEPT
              + " or "
              + EXCLUDE
              + ", with a reason");
    }
    return changes;
  }

  /** Why one line cannot be applied; the caller adds file and line. */
  static final class LineProblem extends Exception {
    LineProblem(String message) {
      super(message, null, false, false);
    }
  }

  private static Change change(CorrectionRequest r, String text, int n, Map<Integer, Row> named)
      throws LineProblem {
    JsonNode line;
    try {
      line = Rows.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new LineProblem("not valid JSON: " + e.getOriginalMessage());
    }
    if (line == null || !line.isObject()) {
      throw new LineProblem("expected a JSON object per line");
    }
    JsonNode rowField = line.get("row");
    if (rowField == null || !rowField.canConvertToInt() || !rowField.isIntegralNumber()) {
      throw new LineProblem(
          "field 'row': expected the row's number (as in the export), was " + shown(rowField));
    }
    int row = rowField.asInt();
    Row current = named.get(row);
    if (current == null) {
      throw new LineProblem(
          "field 'row': no row "
              + row
              + " in the data under review (rows of the dataset as imported, excluded ones gone)");
    }
    JsonNode input = line.get("input");
    if (input != null && !(input.isTextual() && input.asText().equals(current.input()))) {
      throw new LineProblem(
          "field 'input': not row "
              + row
              + "'s input: the file was exported from another run or version; export it again");
    }
    JsonNode actionField = line.get("action");
    String action = actionField == null || !actionField.isTextual() ? null : actionField.asText();
    if (action == null || !ACTIONS.contains(action)) {
      throw new LineProblem(
          "field 'action': expected one of "
              + String.join(", ", ACTIONS)
              + ", was "
              + shown(actionField));
    }
    if (action.equals(KEEP)) {
      return new Change(row, n, KEEP, current.output(), null);
    }
    JsonNode reasonField = line.get("reason");
    if (reasonField == null || !reasonField.isTextual() || reasonField.asText().isBlank()) {
      throw new LineProblem("field 'reason': every " + action + " needs one (why, in a few words)");
    }
    String reason = reasonField.asText().trim();
    if (action.equals(EXCLUDE)) {
      return new Change(row, n, EXCLUDE, null, reason);
    }
    String from = action.equals(ACCEPT) ? "suggested" : "output";
    JsonNode output = line.get(from);
    if (output == null || output.isNull()) {
      throw new LineProblem(
          "field '"
              + from
              + "': "
              + (action.equals(ACCEPT)
                  ? "no suggestion to accept (export with --suggest-with MODEL)"
                  : "a relabel needs the new answer")
              + ", expected "
              + expected(r));
    }
    checkAnswer(r, from, output);
    return new Change(row, n, action, output, reason);
  }

  /** A new answer must have the task's shape and meet the spec's label schema. */
  private static void checkAnswer(CorrectionRequest r, String field, JsonNode output)
      throws LineProblem {
    if (PipelineSpec.TASK_TEXT.equals(r.task())) {
      if (!output.isTextual() || output.asText().isBlank()) {
        throw new LineProblem(
            "field '" + field + "': expected " + expected(r) + ", was " + shown(output));
      }
      return;
    }
    if (!output.isObject()) {
      throw new LineProblem(
          "field '" + field + "': expected " + expected(r) + ", was " + shown(output));
    }
    for (var it = output.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!r.outputFields().contains(name)) {
        throw new LineProblem(
            "field '"
                + field
                + "."
                + name
                + "': not an output field (expected "
                + String.join(", ", r.outputFields())
                + ")");
      }
    }
    for (String name : r.outputFields()) {
      JsonNode v = output.get(name);
      if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
        throw new LineProblem(
            "field '" + field + "." + name + "': missing (every output field needs a value)");
      }
      List<String> allowed =
          r.fieldValues() == null ? List.of() : r.fieldValues().getOrDefault(name, List.of());
      if (!allowed.isEmpty() && !(v.isValueNode() && allowed.contains(v.asText()))) {
        throw new LineProblem(
            "field '"
                + field
                + "."
                + name
                + "': "
                + shown(v)
                + " is not one of the spec's values ("
                + String.join(", ", allowed)
                + ")");
      }
    }
  }

  private static String expected(CorrectionRequest r) {
    return PipelineSpec.TASK_TEXT.equals(r.task())
        ? "the answer's text"
        : "an object with " + String.join(", ", r.outputFields());
  }

  private static String shown(JsonNode v) {
    if (v == null) {
      return "absent";
    }
    String s = v.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }

  /** For tests and the CLI: the sha256 of a file as the activity computes it. */
  public static String sha256(Path file) {
    try {
      return ArtifactStore.sha256Hex(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
