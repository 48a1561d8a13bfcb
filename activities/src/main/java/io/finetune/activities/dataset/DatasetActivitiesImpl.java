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
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

public class DatasetActivitiesImpl implements DatasetActivities {
  private final ArtifactStore store;

  public DatasetActivitiesImpl(ArtifactStore store) {
    this.store = store;
  }

  @Override
  public DatasetRef importDataset(ImportRequest r) {
    // Streamed: each row goes to the store as it is read; a file refused leaves nothing behind.
    // With dataset.invalidRows: review, every row that cannot be read, for the data review.
    try (Rows.Sink rows = new Rows.Sink(store, r.name());
        ArtifactStore.LineSink invalid = store.lines("datasets", "jsonl")) {
      DatasetCheck.Result read =
          DatasetCheck.read(
              r,
              rows::add,
              bad -> {
                if (r.reviewsInvalidRows()) {
                  invalid.line(
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
      DatasetRef written = rows.commit();
      if (invalid.lines() == 0) {
        return written;
      }
      ArtifactRef listed = invalid.commit();
      return written.withInvalidRows(
          new InvalidRows(listed.path(), listed.sha256(), (int) invalid.lines()));
    }
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
    return new HoldOut(store, r).split();
  }

  /** The dataset name of the rows kept out of training because an eval set has their input. */
  public static final String KEPT_OUT_NAME = "kept-out-of-training";

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
