package io.finetune.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Feedback events on traces (table {@code feedback}): validated field by field, so that a bad event
 * is refused with what is wrong and nothing is stored; idempotent by {@code event_id}, so that a
 * client may send an event again after a lost answer. The same id with other content is a conflict,
 * not an update: feedback is a record of what a user did.
 */
public final class FeedbackStore {
  /** What a user did with an answer. */
  public static final List<String> KINDS =
      List.of("thumbs_up", "thumbs_down", "regenerated", "correction", "side_by_side");

  private static final Set<String> FIELDS =
      Set.of("event_id", "trace_id", "kind", "correction", "preferred");
  private static final int MAX_EVENT_ID = 200;
  private static final int MAX_CORRECTION = 100_000;

  private final DataSource db;
  private final TraceWriter traces;
  private final Redactor redactor;

  public FeedbackStore(DataSource db, TraceWriter traces, Redactor redactor) {
    this.db = db;
    this.traces = traces;
    this.redactor = redactor;
  }

  /** Whether an event was stored now or had been stored before (a repeat). */
  public enum Outcome {
    STORED,
    ALREADY_STORED
  }

  /** An event refused: the HTTP status, what is wrong, and the field it is about (if one). */
  public static final class Rejected extends RuntimeException {
    private final int status;
    private final String param;
    private final String code;

    Rejected(int status, String code, String param, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
      this.param = param;
    }

    public int status() {
      return status;
    }

    public String param() {
      return param;
    }

    public String code() {
      return code;
    }
  }

  /** One valid event, as stored: a correction's text redacted. */
  record Event(String eventId, String traceId, String kind, String value) {}

  /**
   * Stores the event in {@code body} (a JSON object: {@code event_id}, {@code trace_id}, {@code
   * kind}, and {@code correction} or {@code preferred} for the kinds that need them).
   *
   * @throws Rejected 400 for a malformed event, 404 for a trace that was never recorded, 409 for an
   *     event id already used by another event
   */
  public Outcome submit(JsonNode body) {
    Event event = validate(body);
    try (Connection c = db.getConnection()) {
      Optional<Event> before = find(c, event.eventId());
      if (before.isPresent()) {
        return repeat(before.get(), event);
      }
      requireTrace(event.traceId(), "trace_id");
      if (event.kind().equals("side_by_side")) {
        requireTrace(event.value(), "preferred");
      }
      try {
        insert(c, event, System.currentTimeMillis());
        return Outcome.STORED;
      } catch (SQLException e) {
        if ("23505".equals(e.getSQLState())) {
          // The same event id arrived twice at once: the other one was stored first.
          return repeat(find(c, event.eventId()).orElseThrow(() -> e), event);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot store the feedback: " + e.getMessage(), e);
    }
  }

  /** Writes one validated event (on {@code c}, in its transaction if it has one). */
  static void insert(Connection c, Event event, long createdAtMillis) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO feedback (event_id, trace_id, kind, value_text, created_at)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      s.setString(1, event.eventId());
      s.setString(2, event.traceId());
      s.setString(3, event.kind());
      s.setString(4, event.value());
      s.setLong(5, createdAtMillis);
      s.executeUpdate();
    }
  }

  private static Outcome repeat(Event stored, Event sent) {
    if (stored.equals(sent)) {
      return Outcome.ALREADY_STORED;
    }
    throw new Rejected(
        409,
        "event_id_conflict",
        "event_id",
        "event_id '"
            + sent.eventId()
            + "' was already used for another event ("
            + stored.kind()
            + " on trace "
            + stored.traceId()
            + "): an event cannot be changed; send a new event_id");
  }

  private void requireTrace(String traceId, String field) {
    if (!traces.exists(traceId)) {
      throw new Rejected(
          404,
          "trace_not_found",
          field,
          field
              + " '"
              + traceId
              + "' is not a trace of this gateway: use the id of the x-finetune-trace-id header"
              + " of a chat completion's response");
    }
  }

  /**
   * The event in {@code body}, checked field by field (a correction's text redacted), without
   * touching the database: the rules of {@code POST /v1/feedback}, also for {@code ingest}.
   *
   * @throws Rejected 400, naming the field
   */
  Event validate(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw invalid(
          null,
          "The body must be a JSON object with event_id, trace_id and kind (one of "
              + String.join(", ", KINDS)
              + ")");
    }
    for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new Rejected(
            400,
            "unknown_field",
            f,
            "Unknown field '" + f + "': a feedback event has " + String.join(", ", sorted()));
      }
    }
    String eventId = text(body, "event_id");
    if (eventId.length() > MAX_EVENT_ID) {
      throw invalid("event_id", "event_id is longer than " + MAX_EVENT_ID + " characters");
    }
    String traceId = text(body, "trace_id");
    String kind = text(body, "kind");
    if (!KINDS.contains(kind)) {
      throw invalid(
          "kind", "kind must be one of " + String.join(", ", KINDS) + ", not '" + kind + "'");
    }
    String value = null;
    if (kind.equals("correction")) {
      String correction = text(body, "correction");
      if (correction.length() > MAX_CORRECTION) {
        throw invalid("correction", "correction is longer than " + MAX_CORRECTION + " characters");
      }
      value = redactor.redact(correction); // a correction can carry personal data too
    } else {
      refuse(body, "correction", kind, "correction");
    }
    if (kind.equals("side_by_side")) {
      value = text(body, "preferred");
    } else {
      refuse(body, "preferred", kind, "side_by_side");
    }
    return new Event(eventId, traceId, kind, value);
  }

  /** A required, non-blank string field. */
  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      throw new Rejected(400, "missing_field", field, field + " is required");
    }
    if (!v.isTextual()) {
      throw invalid(
          field,
          field + " must be a string, not " + v.getNodeType().name().toLowerCase(Locale.ROOT));
    }
    if (v.asText().isBlank()) {
      throw invalid(field, field + " must not be empty");
    }
    return v.asText();
  }

  private static void refuse(JsonNode body, String field, String kind, String onlyFor) {
    if (body.has(field)) {
      throw invalid(field, field + " is only for kind " + onlyFor + ", not " + kind);
    }
  }

  private static Rejected invalid(String field, String message) {
    return new Rejected(400, "invalid_value", field, message);
  }

  private static List<String> sorted() {
    return FIELDS.stream().sorted().toList();
  }

  static Optional<Event> find(Connection c, String eventId) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT event_id, trace_id, kind, value_text FROM feedback WHERE event_id = ?")) {
      s.setString(1, eventId);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Event(
                rs.getString("event_id"),
                rs.getString("trace_id"),
                rs.getString("kind"),
                rs.getString("value_text")));
      }
    }
  }
}
