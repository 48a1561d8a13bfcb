package io.finetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.gateway.FeedbackStore.Event;
import io.finetune.workflows.common.Names;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Loads traces and feedback recorded elsewhere (another gateway, an app's own logs) from a JSONL
 * file, under the gateway's rules: traces of promoted models only, redacted before they are stored,
 * feedback validated as {@code POST /v1/feedback} validates it. The whole file is checked first and
 * then written in one transaction, so a bad line stores nothing. Idempotent: a trace id or event id
 * already stored with the same content is skipped and counted; with other content it is an error,
 * since records are not edited.
 */
public final class TraceIngest {
  private static final Set<String> TRACE_FIELDS =
      Set.of(
          "type",
          "id",
          "created_at",
          "model",
          "model_version",
          "provider_model",
          "messages",
          "output",
          "latency_ms",
          "prompt_tokens",
          "completion_tokens",
          "cost",
          "status");
  private static final Set<String> STATUSES =
      Set.of(Trace.OK, Trace.PROVIDER_ERROR, Trace.CLIENT_CLOSED);
  private static final int MAX_ID = 64;

  private final DataSource db;
  private final Redactor redactor;
  private final RegistryActivitiesImpl registry;
  private final FeedbackStore feedbackRules;

  public TraceIngest(DataSource db, Redactor redactor) {
    this.db = db;
    this.redactor = redactor;
    this.registry = new RegistryActivitiesImpl(db);
    // Only its validation is used: events are written here, in this file's transaction.
    this.feedbackRules = new FeedbackStore(db, null, redactor);
  }

  /** What a file added, and what was there already. */
  public record Result(int traces, int tracesSkipped, int feedback, int feedbackSkipped) {}

  /** A line that cannot be loaded: the file, the line, the field and what is wrong. */
  public static final class Invalid extends RuntimeException {
    Invalid(Path file, int line, String field, String message) {
      super(
          file
              + (line > 0 ? ":" + line : "")
              + ": "
              + (field == null ? "" : "field '" + field + "': ")
              + message
              + " (nothing was stored)",
          null,
          false,
          false);
    }
  }

  @SuppressWarnings("ArrayRecordComponent") // a carrier, never compared or hashed
  private record PendingTrace(int line, String id, Object[] row) {}

  private record PendingEvent(int line, Event event, long createdAtMillis) {}

  public Result ingest(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new Invalid(file, 0, null, "no such file");
    }
    Map<String, PendingTrace> traces = new LinkedHashMap<>();
    Map<String, PendingEvent> events = new LinkedHashMap<>();
    int tracesSkipped = 0;
    int eventsSkipped = 0;
    List<JsonNode> feedbackLines = new ArrayList<>();
    List<Integer> feedbackLineNumbers = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        Connection c = db.getConnection()) {
      int lineNo = 0;
      for (String text = in.readLine(); text != null; text = in.readLine()) {
        lineNo++;
        if (text.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = TraceRows.JSON.readTree(text);
        } catch (JsonProcessingException e) {
          throw new Invalid(file, lineNo, null, "not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
          throw new Invalid(file, lineNo, null, "expected a JSON object per line");
        }
        String type = node.path("type").asText("");
        if (type.equals("trace")) {
          PendingTrace t = trace(file, lineNo, (ObjectNode) node);
          PendingTrace same = traces.get(t.id());
          if (same != null) {
            requireSame(file, lineNo, "id", t.id(), same.row(), t.row(), "line " + same.line());
            tracesSkipped++;
            continue;
          }
          Object[] stored = storedTrace(c, t.id());
          if (stored != null) {
            requireSame(file, lineNo, "id", t.id(), stored, t.row(), "the database");
            tracesSkipped++;
            continue;
          }
          traces.put(t.id(), t);
        } else if (type.equals("feedback")) {
          // Checked once every trace of the file is known: feedback may come before its trace.
          feedbackLines.add(node);
          feedbackLineNumbers.add(lineNo);
        } else {
          throw new Invalid(
              file,
              lineNo,
              "type",
              node.has("type")
                  ? "must be trace or feedback, not " + node.get("type")
                  : "is required: trace or feedback");
        }
      }
      for (int i = 0; i < feedbackLines.size(); i++) {
        int line = feedbackLineNumbers.get(i);
        PendingEvent e = event(file, line, (ObjectNode) feedbackLines.get(i), c, traces);
        PendingEvent same = events.get(e.event().eventId());
        if (same != null) {
          requireSame(file, line, e.event(), same.event(), "line " + same.line());
          eventsSkipped++;
          continue;
        }
        Optional<Event> stored = FeedbackStore.find(c, e.event().eventId());
        if (stored.isPresent()) {
          requireSame(file, line, e.event(), stored.get(), "the database");
          eventsSkipped++;
          continue;
        }
        events.put(e.event().eventId(), e);
      }
      write(c, traces.values(), events.values());
    } catch (CharacterCodingException e) {
      throw new Invalid(file, 0, null, "is not UTF-8 text");
    } catch (IOException e) {
      throw new Invalid(file, 0, null, "cannot be read: " + e.getMessage());
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot store the ingested records: " + e.getMessage(), e);
    }
    return new Result(traces.size(), tracesSkipped, events.size(), eventsSkipped);
  }

  /** Everything in one transaction: a failure (another writer took an id meanwhile) stores none. */
  private static void write(
      Connection c, Iterable<PendingTrace> traces, Iterable<PendingEvent> events)
      throws SQLException {
    c.setAutoCommit(false);
    try {
      try (PreparedStatement s = c.prepareStatement(TraceWriter.INSERT)) {
        for (PendingTrace t : traces) {
          TraceWriter.bind(s, t.row());
          s.addBatch();
        }
        s.executeBatch();
      }
      for (PendingEvent e : events) {
        FeedbackStore.insert(c, e.event(), e.createdAtMillis());
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    }
  }

  private PendingTrace trace(Path file, int line, ObjectNode node) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!TRACE_FIELDS.contains(f)) {
        throw new Invalid(
            file,
            line,
            f,
            "unknown field; a trace has "
                + String.join(", ", TRACE_FIELDS.stream().sorted().toList()));
      }
    }
    String id = text(file, line, node, "id", true);
    if (id.length() > MAX_ID) {
      throw new Invalid(file, line, "id", "is longer than " + MAX_ID + " characters");
    }
    long created = instant(file, line, node, "created_at", true);
    String model = text(file, line, node, "model", true);
    if (!Names.isValid(model)) {
      throw new Invalid(file, line, "model", "'" + model + "' is not a model name: " + Names.RULE);
    }
    ModelVersion version;
    if (node.hasNonNull("model_version")) {
      JsonNode v = node.get("model_version");
      if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
        throw new Invalid(file, line, "model_version", "must be a whole number from 1, was " + v);
      }
      version = registry.find(model, v.asInt());
      if (version == null) {
        throw new Invalid(
            file,
            line,
            "model_version",
            model + " has no version " + v.asInt() + " in the registry");
      }
    } else {
      version = registry.find(model);
      if (version == null) {
        throw new Invalid(
            file,
            line,
            "model",
            "no model called '" + model + "' has been promoted: traces are of registry models");
      }
    }
    JsonNode messages = node.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new Invalid(
          file, line, "messages", "is required: a non-empty array of {role, content}");
    }
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      JsonNode content = m.get("content");
      if (!m.path("role").isTextual()
          || content == null
          || !(content.isTextual() || content.isArray() || content.isNull())) {
        throw new Invalid(
            file,
            line,
            "messages[" + i + "]",
            "must be an object with a string role and a content (a string or a list of parts)");
      }
    }
    String output = node.hasNonNull("output") ? text(file, line, node, "output", false) : null;
    String providerModel =
        node.hasNonNull("provider_model")
            ? text(file, line, node, "provider_model", true)
            : version.modelId();
    String status = node.hasNonNull("status") ? text(file, line, node, "status", true) : Trace.OK;
    if (!STATUSES.contains(status)) {
      throw new Invalid(
          file,
          line,
          "status",
          "must be one of " + String.join(", ", STATUSES.stream().sorted().toList()));
    }
    Double latency = number(file, line, node, "latency_ms");
    Double cost = number(file, line, node, "cost");
    Trace t =
        new Trace(
            id,
            created,
            model,
            version.version(),
            providerModel,
            messages,
            output,
            latency == null ? 0 : latency,
            count(file, line, node, "prompt_tokens"),
            count(file, line, node, "completion_tokens"),
            cost,
            status);
    return new PendingTrace(line, id, TraceWriter.row(t, redactor));
  }

  /**
   * A feedback line checked by the gateway's own rules ({@link FeedbackStore#validate}), plus an
   * optional {@code created_at}; its trace (and a side-by-side pick) must be stored or in the file.
   */
  private PendingEvent event(
      Path file, int line, ObjectNode node, Connection c, Map<String, PendingTrace> inFile)
      throws SQLException {
    ObjectNode body = node.deepCopy();
    body.remove("type");
    long created =
        body.has("created_at")
            ? instant(file, line, body, "created_at", true)
            : System.currentTimeMillis();
    body.remove("created_at");
    Event event;
    try {
      event = feedbackRules.validate(body);
    } catch (FeedbackStore.Rejected e) {
      throw new Invalid(file, line, e.param(), e.getMessage());
    }
    requireTrace(file, line, c, inFile, event.traceId(), "trace_id");
    if (event.kind().equals("side_by_side")) {
      requireTrace(file, line, c, inFile, event.value(), "preferred");
    }
    return new PendingEvent(line, event, created);
  }

  private static void requireTrace(
      Path file,
      int line,
      Connection c,
      Map<String, PendingTrace> inFile,
      String traceId,
      String field)
      throws SQLException {
    if (inFile.containsKey(traceId) || storedTrace(c, traceId) != null) {
      return;
    }
    throw new Invalid(
        file, line, field, "'" + traceId + "' is not a stored trace nor a trace of this file");
  }

  /** A stored trace as the row it was inserted from, or null. */
  private static Object[] storedTrace(Connection c, String id) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT id, created_at, model_name, model_version, provider_model, input, output,"
                + " latency_ms, prompt_tokens, completion_tokens, cost, status FROM traces"
                + " WHERE id = ?")) {
      s.setString(1, id);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        return new Object[] {
          rs.getString(1),
          rs.getLong(2),
          rs.getString(3),
          rs.getInt(4),
          rs.getString(5),
          rs.getString(6),
          rs.getString(7),
          rs.getDouble(8),
          (Long) rs.getObject(9, Long.class),
          (Long) rs.getObject(10, Long.class),
          (Double) rs.getObject(11, Double.class),
          rs.getString(12)
        };
      }
    }
  }

  private static void requireSame(
      Path file, int line, String field, String id, Object[] before, Object[] now, String where) {
    if (!Arrays.equals(before, now)) {
      throw new Invalid(
          file,
          line,
          field,
          "trace '"
              + id
              + "' is already in "
              + where
              + " with other content: a trace cannot be changed; give it a new id");
    }
  }

  private static void requireSame(Path file, int line, Event now, Event before, String where) {
    if (!Objects.equals(now, before)) {
      throw new Invalid(
          file,
          line,
          "event_id",
          "event '"
              + now.eventId()
              + "' is already in "
              + where
              + " as another event ("
              + before.kind()
              + " on trace "
              + before.traceId()
              + "): an event cannot be changed; give it a new event_id");
    }
  }

  private static String text(Path file, int line, JsonNode node, String field, boolean nonBlank) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new Invalid(file, line, field, "is required");
    }
    if (!v.isTextual()) {
      throw new Invalid(
          file,
          line,
          field,
          "must be a string, not " + v.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    if (nonBlank && v.asText().isBlank()) {
      throw new Invalid(file, line, field, "must not be empty");
    }
    return v.asText();
  }

  private static long instant(Path file, int line, JsonNode node, String field, boolean required) {
    String text = text(file, line, node, field, required);
    try {
      return Instant.parse(text).toEpochMilli();
    } catch (DateTimeParseException | ArithmeticException e) {
      // ArithmeticException: a year Instant takes but milliseconds since 1970 cannot hold
      throw new Invalid(
          file,
          line,
          field,
          "'" + text + "' is not an ISO-8601 instant such as 2026-11-30T10:15:00Z");
    }
  }

  private static Double number(Path file, int line, JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber() || v.asDouble() < 0 || !Double.isFinite(v.asDouble())) {
      throw new Invalid(file, line, field, "must be a number, at least 0, was " + v);
    }
    return v.asDouble();
  }

  private static Long count(Path file, int line, JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
      throw new Invalid(file, line, field, "must be a whole number, at least 0, was " + v);
    }
    return v.asLong();
  }
}
