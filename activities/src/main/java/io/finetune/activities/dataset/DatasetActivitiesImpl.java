package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ChatMessage;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.common.InvalidRows;
import io.finetune.workflows.dataset.DatasetActivities;
import io.finetune.workflows.spec.DatasetFormat;
import io.finetune.workflows.spec.EvalSetRole;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

public class DatasetActivitiesImpl implements DatasetActivities {
  private final ArtifactStore store;

  public DatasetActivitiesImpl(ArtifactStore store) {
    this.store = store;
  }

  @Override
  public DatasetRef importDataset(ImportRequest r) {
    List<Row> rows = new ArrayList<>();
    // With dataset.invalidRows: review, every row that cannot be read, for the data review.
    List<String> invalid = new ArrayList<>();
    DatasetCheck.Result read =
        DatasetCheck.read(
            r,
            rows::add,
            bad -> {
              if (r.reviewsInvalidRows()) {
                invalid.add(
                    Rows.json(
                        Rows.JSON
                            .createObjectNode()
                            .put("file", r.path())
                            .put("line", bad.line())
                            .put("reason", bad.reason())
                            .put("text", bad.text())));
              }
            });
    if (!read.ok()) {
      throw Failures.invalidInput(read.importFailure());
    }
    DatasetRef written = Rows.write(store, r.name(), rows);
    if (invalid.isEmpty()) {
      return written;
    }
    ArtifactRef listed = store.writeLines("datasets", "jsonl", invalid);
    return written.withInvalidRows(new InvalidRows(listed.path(), listed.sha256(), invalid.size()));
  }

  /** Why one row cannot be read; the caller adds file and line. */
  static final class RowProblem extends Exception {
    RowProblem(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Reads rows of one file in its format into the pipeline's own rows. Without a format in the
   * spec, the first row that shows one decides it ({@link #detect}), and every later row must
   * agree.
   */
  static final class RowReader {
    private final ImportRequest r;
    private String format;
    private int detectedAt;

    RowReader(ImportRequest r) {
      this.r = r;
      this.format = r.format();
    }

    /** The format, once known (null before a row showed it). */
    String format() {
      return format;
    }

    Row read(JsonNode node, int lineNo) throws RowProblem {
      if (!node.isObject()) {
        throw new RowProblem("expected a JSON object per line, was " + type(node));
      }
      if (format == null) {
        format = detect(node, r);
        detectedAt = format == null ? 0 : lineNo;
      }
      if (DatasetFormat.CHAT.equals(format)) {
        return chatRow(node);
      }
      if (node.has("messages") && !node.has(r.inputField())) {
        throw new RowProblem(
            "expected field '" + r.inputField() + "' (" + formatSaid() + "), found a chat row");
      }
      JsonNode input = node.get(r.inputField());
      if (input == null || !input.isTextual()) {
        throw new RowProblem("field '" + r.inputField() + "' is missing or not a string");
      }
      if (input.asText().isBlank()) {
        throw new RowProblem("field '" + r.inputField() + "' is empty");
      }
      // The pipeline's own rows (a retraining's data) may carry a chat row's context.
      return new Row(
          input.asText(), output(node.get(r.outputField())), Rows.context(node.get("context")));
    }

    /** A row's answer in the pipeline's form: an object (task fields) or text (task text). */
    private JsonNode output(JsonNode output) throws RowProblem {
      if (output == null || output.isNull()) {
        if (r.labelsRequired()) {
          throw new RowProblem(
              "field '" + r.outputField() + "' is missing (expected " + expected() + ")");
        }
        return null;
      }
      String f = format == null ? DatasetFormat.FIELDS : format;
      if (f.equals(DatasetFormat.TEXT) || r.textTask()) {
        if (!f.equals(DatasetFormat.TEXT) || !output.isTextual()) {
          throw new RowProblem(
              "field '"
                  + r.outputField()
                  + "' must be text ("
                  + formatSaid()
                  + "), was "
                  + type(output));
        }
        return output;
      }
      if (f.equals(DatasetFormat.JSON_STRING)) {
        if (!output.isTextual()) {
          throw new RowProblem(
              "field '"
                  + r.outputField()
                  + "' must be a string holding a JSON object with "
                  + String.join(", ", r.outputFields())
                  + " ("
                  + formatSaid()
                  + "), was "
                  + type(output));
        }
        return jsonObject(output.asText(), "field '" + r.outputField() + "'");
      }
      if (!output.isObject()) {
        throw new RowProblem(
            "field '"
                + r.outputField()
                + "' must be an object with "
                + String.join(", ", r.outputFields())
                + ", was "
                + type(output)
                + " ("
                + formatSaid()
                + (output.isTextual()
                    ? "; answers written as JSON strings: dataset.format json-string"
                    : "")
                + ")");
      }
      return output;
    }

    /** The last assistant message is the answer, the user message before it the input. */
    private Row chatRow(JsonNode node) throws RowProblem {
      JsonNode messages = node.get("messages");
      if (messages == null || !messages.isArray() || messages.isEmpty()) {
        throw new RowProblem(
            "expected field 'messages', a non-empty array of {role, content} ("
                + formatSaid()
                + ")");
      }
      List<ChatMessage> all = new ArrayList<>();
      for (int i = 0; i < messages.size(); i++) {
        JsonNode m = messages.get(i);
        String role = m.path("role").asText("");
        if (!CHAT_ROLES.contains(role) || !m.path("content").isTextual()) {
          throw new RowProblem(
              "messages["
                  + i
                  + "] must have a role ("
                  + String.join(", ", CHAT_ROLES)
                  + ") and a string content");
        }
        all.add(new ChatMessage(role, m.get("content").asText()));
      }
      int answer = lastIndexOf(all, ChatMessage.ASSISTANT, all.size() - 1);
      if (answer >= 0 && answer != all.size() - 1) {
        throw new RowProblem(
            "messages[" + (answer + 1) + "] follows the last assistant message (the answer)");
      }
      if (answer < 0 && r.labelsRequired()) {
        throw new RowProblem("messages has no assistant message (expected the answer last)");
      }
      int end = answer < 0 ? all.size() : answer;
      int user = end - 1;
      if (user < 0 || !all.get(user).role().equals(ChatMessage.USER)) {
        throw new RowProblem(
            "messages["
                + Math.max(0, user)
                + "] must be the user message "
                + (answer < 0 ? "(the input)" : "before the answer"));
      }
      if (all.get(user).content().isBlank()) {
        throw new RowProblem("messages[" + user + "] (the input) is empty");
      }
      JsonNode output = null;
      if (answer >= 0) {
        String text = all.get(answer).content();
        output =
            r.textTask()
                ? TextNode.valueOf(text)
                : jsonObject(text, "messages[" + answer + "] (the answer)");
      }
      return new Row(all.get(user).content(), output, all.subList(0, user));
    }

    private ObjectNode jsonObject(String text, String what) throws RowProblem {
      JsonNode parsed;
      try {
        parsed = Rows.JSON.readTree(text);
      } catch (IOException e) {
        parsed = null;
      }
      if (parsed == null || !parsed.isObject()) {
        throw new RowProblem(
            what
                + " must hold a JSON object with "
                + String.join(", ", r.outputFields())
                + " ("
                + formatSaid()
                + ")");
      }
      return (ObjectNode) parsed;
    }

    private String expected() {
      return r.textTask()
          ? "the answer's text"
          : "an object with " + String.join(", ", r.outputFields());
    }

    /** The format and where it came from, for errors. */
    private String formatSaid() {
      String f = format == null ? DatasetFormat.FIELDS : format;
      if (r.format() != null) {
        return "dataset.format " + f;
      }
      return detectedAt > 0
          ? "format " + f + ", detected from line " + detectedAt
          : "format " + f + ", the default: no earlier row showed one";
    }

    private static int lastIndexOf(List<ChatMessage> messages, String role, int from) {
      for (int i = from; i >= 0; i--) {
        if (messages.get(i).role().equals(role)) {
          return i;
        }
      }
      return -1;
    }

    private static String type(JsonNode node) {
      return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }
  }

  private static final List<String> CHAT_ROLES =
      List.of(ChatMessage.SYSTEM, ChatMessage.USER, ChatMessage.ASSISTANT);

  /**
   * The format a row shows: a chat row has {@code messages}; otherwise the output field says it (an
   * object: fields; a string: text for task text, else a JSON string). Null when the row is
   * unlabeled and shows none.
   */
  static String detect(JsonNode row, ImportRequest r) {
    if (row.path("messages").isArray() && !row.has(r.inputField())) {
      return DatasetFormat.CHAT;
    }
    JsonNode output = row.get(r.outputField());
    if (output == null || output.isNull()) {
      return null;
    }
    if (output.isTextual()) {
      return r.textTask() ? DatasetFormat.TEXT : DatasetFormat.JSON_STRING;
    }
    return DatasetFormat.FIELDS;
  }

  @Override
  public SplitResult split(SplitRequest r) {
    List<Row> rows = Rows.read(store, r.data());
    // Group rows by normalized input so that duplicates land on one side: no train/test leakage.
    Map<String, List<Row>> groups = new LinkedHashMap<>();
    for (Row row : rows) {
      groups.computeIfAbsent(Rows.normalize(row.input()), k -> new ArrayList<>()).add(row);
    }
    List<String> keys = new ArrayList<>(groups.keySet());
    keys.sort(
        Comparator.comparing(
            k -> ArtifactStore.sha256Hex((r.seed() + ":" + k).getBytes(StandardCharsets.UTF_8))));
    // The first groups in that seeded order are the test set, the next ones the validation set.
    long wanted = Math.round(rows.size() * r.testFraction());
    long validationWanted = Math.round(rows.size() * r.validationFraction());
    Set<String> testKeys = new HashSet<>();
    Set<String> validationKeys = new HashSet<>();
    int testRows = 0;
    int validationRows = 0;
    for (String k : keys) {
      if (testRows < wanted) {
        testKeys.add(k);
        testRows += groups.get(k).size();
      } else if (validationRows < validationWanted) {
        validationKeys.add(k);
        validationRows += groups.get(k).size();
      } else {
        break;
      }
    }
    // Sealed eval sets: a training row whose input occurs in an eval set (the fresh hold-out of a
    // retraining included) is kept out of training and listed, never trained on nor dropped. Taken
    // out after the test set is chosen, so that the test set is the same as before this rule.
    Map<String, List<String>> evalSetsByInput = new LinkedHashMap<>();
    Map<String, Integer> keptOutBySet = new TreeMap<>();
    for (DatasetRef set : r.evalSets()) {
      keptOutBySet.put(set.name(), 0);
      for (Row x : Rows.read(store, set)) {
        List<String> names =
            evalSetsByInput.computeIfAbsent(Rows.normalize(x.input()), k -> new ArrayList<>());
        if (!names.contains(set.name())) {
          names.add(set.name());
        }
      }
    }
    List<Row> train = new ArrayList<>();
    List<Row> test = new ArrayList<>();
    List<Row> validation = new ArrayList<>();
    List<Row> keptOut = new ArrayList<>();
    List<List<String>> keptOutBecause = new ArrayList<>();
    for (Row row : rows) {
      String key = Rows.normalize(row.input());
      if (testKeys.contains(key)) {
        test.add(row);
        continue;
      }
      List<String> sets = evalSetsByInput.get(key);
      if (sets != null) {
        keptOut.add(row);
        keptOutBecause.add(sets);
        sets.forEach(set -> keptOutBySet.merge(set, 1, Integer::sum));
      } else {
        (validationKeys.contains(key) ? validation : train).add(row);
      }
    }
    // The leak checks stay, on the rows as written: they hold the sealing above to account.
    Set<String> trainInputs = new HashSet<>();
    train.forEach(row -> trainInputs.add(Rows.normalize(row.input())));
    validation.forEach(row -> trainInputs.add(Rows.normalize(row.input())));
    int leaks =
        (int) test.stream().filter(x -> trainInputs.contains(Rows.normalize(x.input()))).count();
    Map<String, Integer> evalLeaks = new TreeMap<>();
    for (DatasetRef set : r.evalSets()) {
      evalLeaks.put(
          set.name(),
          (int)
              Rows.read(store, set).stream()
                  .filter(x -> trainInputs.contains(Rows.normalize(x.input())))
                  .count());
    }
    return new SplitResult(
        Rows.write(store, "train", train),
        Rows.write(store, EvalSetRole.TEST_NAME, test),
        rows.size() - groups.size(),
        leaks,
        evalLeaks,
        validation.isEmpty() ? null : Rows.write(store, VALIDATION_NAME, validation),
        keptOutBySet,
        keptOut.isEmpty() ? null : writeKeptOut(keptOut, keptOutBecause));
  }

  /** The dataset name of the rows kept out of training because an eval set has their input. */
  public static final String KEPT_OUT_NAME = "kept-out-of-training";

  /**
   * The rows kept out of training in the pipeline's own format, each with the eval sets that have
   * its input ({@code evalSets}), so that the file reads as a dataset and tells why.
   */
  private DatasetRef writeKeptOut(List<Row> rows, List<List<String>> because) {
    List<String> lines = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      ObjectNode node = Rows.node(rows.get(i));
      node.putPOJO("evalSets", because.get(i));
      lines.add(Rows.json(node));
    }
    ArtifactRef ref = store.writeLines("datasets", "jsonl", lines);
    int labeled = (int) rows.stream().filter(Row::labeled).count();
    return new DatasetRef(KEPT_OUT_NAME, ref.path(), ref.sha256(), rows.size(), labeled);
  }

  /** The validation set's dataset name. */
  static final String VALIDATION_NAME = "validation";

  @Override
  public DataReport profile(ProfileRequest r) {
    return new DataProfiler(store).profile(r);
  }

  @Override
  public CorrectionResult applyCorrections(CorrectionRequest r) {
    return Corrections.apply(store, r);
  }
}
