package io.finetune.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.finetune.activities.provider.ChatMessage;
import io.finetune.workflows.spec.DatasetFormat;
import io.finetune.workflows.spec.PipelineSpec;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * The gateway's traces as data: the answered traces of a model (every version) in a time window,
 * each with the latest {@code correction} feedback on it, redacted a second time (with today's
 * rules, which may be stricter than those the trace was written with) before they become a drift
 * batch or a training file. Only corrected traces are labeled: an answer nobody corrected is what
 * the model said, not what it should have said.
 */
public final class TraceRows {
  static final ObjectMapper JSON = new ObjectMapper();

  private TraceRows() {}

  /**
   * One trace: the messages it was sent (up to and including the last user message, the input) and
   * its latest correction's text, null when nobody corrected it; both redacted again.
   */
  public record TraceRow(
      String id, long createdAtMillis, int modelVersion, List<ChatMessage> messages, String fix) {
    public TraceRow {
      messages = List.copyOf(messages);
    }

    /** The last user message: what the model was asked. */
    public String input() {
      return messages.get(messages.size() - 1).content();
    }

    /** The messages before the input (a system message, earlier turns). */
    public List<ChatMessage> context() {
      return messages.subList(0, messages.size() - 1);
    }
  }

  private static final int FETCH_SIZE = 1000;

  /**
   * The answered ({@code ok}) traces of {@code model} created in {@code [fromMillis, untilMillis)},
   * oldest first, one at a time as the database returns them (in batches of {@value #FETCH_SIZE}):
   * an export or a drift batch of any size. A trace with no user message (nothing to learn an input
   * from) is left out. Returns how many were handed on.
   */
  public static int each(
      DataSource db,
      Redactor redactor,
      String model,
      long fromMillis,
      long untilMillis,
      Consumer<TraceRow> rows) {
    try (Connection c = db.getConnection()) {
      Map<String, String> fixes = corrections(c, model, fromMillis, untilMillis);
      int count = 0;
      // PostgreSQL streams a result in batches only inside a transaction.
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT id, created_at, model_version, input FROM traces"
                  + " WHERE model_name = ? AND created_at >= ? AND created_at < ? AND status = ?"
                  + " ORDER BY created_at, id")) {
        s.setString(1, model);
        s.setLong(2, fromMillis);
        s.setLong(3, untilMillis);
        s.setString(4, Trace.OK);
        s.setFetchSize(FETCH_SIZE);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            List<ChatMessage> messages = untilLastUser(rs.getString("input"), redactor);
            if (messages.isEmpty()) {
              continue;
            }
            String id = rs.getString("id");
            rows.accept(
                new TraceRow(
                    id,
                    rs.getLong("created_at"),
                    rs.getInt("model_version"),
                    messages,
                    redactor.redact(fixes.get(id))));
            count++;
          }
        }
      } finally {
        c.commit();
        c.setAutoCommit(autoCommit);
      }
      return count;
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the traces: " + e.getMessage(), e);
    }
  }

  /** The latest correction of each trace in the window (by time, then event id). */
  private static Map<String, String> corrections(
      Connection c, String model, long fromMillis, long untilMillis) throws SQLException {
    Map<String, String> latest = new HashMap<>();
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT f.trace_id, f.value_text FROM feedback f JOIN traces t ON t.id = f.trace_id"
                + " WHERE f.kind = 'correction' AND t.model_name = ? AND t.created_at >= ?"
                + " AND t.created_at < ? ORDER BY f.created_at, f.event_id")) {
      s.setString(1, model);
      s.setLong(2, fromMillis);
      s.setLong(3, untilMillis);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          latest.put(rs.getString(1), rs.getString(2));
        }
      }
    }
    return latest;
  }

  /**
   * A stored request's messages up to its last user message, each content as text (a list of parts:
   * their texts, one per line), redacted; empty when there is no user message.
   */
  static List<ChatMessage> untilLastUser(String inputJson, Redactor redactor) {
    JsonNode messages;
    try {
      messages = JSON.readTree(inputJson);
    } catch (IOException e) {
      return List.of();
    }
    List<ChatMessage> out = new ArrayList<>();
    int lastUser = -1;
    if (messages != null && messages.isArray()) {
      for (JsonNode m : messages) {
        String role = m.path("role").asText("");
        if (!List.of(ChatMessage.SYSTEM, ChatMessage.USER, ChatMessage.ASSISTANT).contains(role)) {
          continue; // tool calls and the like are not training text
        }
        String text = text(m.get("content"));
        if (text == null) {
          continue;
        }
        out.add(new ChatMessage(role, redactor.redact(text)));
        if (role.equals(ChatMessage.USER) && !text.isBlank()) {
          lastUser = out.size() - 1;
        }
      }
    }
    return lastUser < 0 ? List.of() : out.subList(0, lastUser + 1);
  }

  private static String text(JsonNode content) {
    if (content == null || content.isNull()) {
      return null;
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (content.isArray()) {
      List<String> parts = new ArrayList<>();
      content.forEach(
          p -> {
            if (p.path("text").isTextual()) {
              parts.add(p.get("text").asText());
            }
          });
      return parts.isEmpty() ? null : String.join("\n", parts);
    }
    return content.asText();
  }

  /** What one trace becomes in a file: a line, and whether it is labeled. */
  public record Line(ObjectNode json, boolean labeled, boolean unusableFix) {}

  /**
   * A trace as a row of the model's dataset format ({@code spec.dataset()}: its input and output
   * field names, and its format; none given: fields, or text for a text task). The input is the
   * last user message; the output the correction, when there is one the model's task can read (a
   * fields task needs a JSON object: another text leaves the row unlabeled, {@code unusableFix}). A
   * chat-format model gets its messages as sent, the correction as the assistant's answer.
   */
  public static Line inModelFormat(TraceRow row, PipelineSpec spec) {
    JsonNode answer = answer(row.fix(), spec);
    boolean unusable = row.fix() != null && answer == null;
    String format = spec.dataset() == null ? null : spec.dataset().format();
    if (format == null) {
      format = spec.textTask() ? DatasetFormat.TEXT : DatasetFormat.FIELDS;
    }
    if (format.equals(DatasetFormat.CHAT)) {
      return new Line(
          chat(row, answer == null ? null : answerText(answer)), answer != null, unusable);
    }
    String inputField = spec.dataset() == null ? "input" : spec.dataset().inputField();
    String outputField = spec.dataset() == null ? "output" : spec.dataset().outputField();
    ObjectNode line = JSON.createObjectNode().put(inputField, row.input());
    if (answer != null) {
      line.set(
          outputField,
          format.equals(DatasetFormat.JSON_STRING) ? TextNode.valueOf(answer.toString()) : answer);
    }
    return new Line(line, answer != null, unusable);
  }

  /**
   * A trace as an OpenAI chat fine-tuning line, {@code {"messages": [...]}}: the messages it was
   * sent, then the correction as the assistant's message (none: the line ends with the user's).
   */
  public static Line inChatFormat(TraceRow row) {
    return new Line(chat(row, row.fix()), row.fix() != null, false);
  }

  private static ObjectNode chat(TraceRow row, String answer) {
    ObjectNode line = JSON.createObjectNode();
    ArrayNode messages = line.putArray("messages");
    row.messages()
        .forEach(m -> messages.addObject().put("role", m.role()).put("content", m.content()));
    if (answer != null) {
      messages.addObject().put("role", ChatMessage.ASSISTANT).put("content", answer);
    }
    return line;
  }

  /** A correction as the task's answer: text as is, or a JSON object; null when it is neither. */
  private static JsonNode answer(String fix, PipelineSpec spec) {
    if (fix == null || fix.isBlank()) {
      return null;
    }
    if (spec.textTask()) {
      return TextNode.valueOf(fix);
    }
    try {
      JsonNode parsed = JSON.readTree(fix);
      return parsed != null && parsed.isObject() ? parsed : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static String answerText(JsonNode answer) {
    return answer.isTextual() ? answer.asText() : answer.toString();
  }
}
