package io.finetune.gateway;

import io.finetune.activities.drift.TraceSource;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.gateway.TraceRows.Line;
import io.finetune.workflows.drift.DriftActivities.BatchSelection;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/**
 * Drift batches from the gateway's traces: each check of a model takes the traces created since the
 * previous check of that model ended (table {@code drift_trace_windows}, one row per check key), up
 * to {@code settle} before now, so that traces still in the trace writer's queue are not skipped
 * for good. A retry of a check finds its row and returns the same file.
 */
public final class TraceDriftSource implements TraceSource {
  private final DataSource db;
  private final ArtifactStore store;
  private final Redactor redactor;
  private final Clock clock;
  private final Duration settle;

  public TraceDriftSource(
      DataSource db, ArtifactStore store, Redactor redactor, Clock clock, Duration settle) {
    this.db = db;
    this.store = store;
    this.redactor = redactor;
    this.clock = clock;
    this.settle = settle;
  }

  @Override
  public BatchSelection select(ModelVersion current, String checkKey) {
    String model = current.name();
    for (int attempt = 1; ; attempt++) {
      try (Connection c = db.getConnection()) {
        c.setAutoCommit(false);
        BatchSelection before = takenBy(c, checkKey, model);
        if (before != null) {
          c.commit();
          return before;
        }
        long from = longValue(c, "COALESCE(MAX(until_ms), 0)", model);
        long until = clock.millis() - settle.toMillis();
        if (until <= from) {
          c.commit();
          return nothingNew(model);
        }
        // Streamed into the batch file: a window of any size.
        int[] labeled = {0};
        int[] unusable = {0};
        int traces;
        String path = null;
        try (ArtifactStore.LineSink batch = store.lines("batches", "jsonl")) {
          traces =
              TraceRows.each(
                  db,
                  redactor,
                  model,
                  from,
                  until,
                  row -> {
                    Line line = TraceRows.inModelFormat(row, current.spec());
                    batch.line(line.json().toString());
                    labeled[0] += line.labeled() ? 1 : 0;
                    unusable[0] += line.unusableFix() ? 1 : 0;
                  });
          if (traces > 0) {
            path = batch.commit().path();
          }
        }
        String summary = summary(model, from, until, traces, labeled[0], unusable[0]);
        try (PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO drift_trace_windows (check_key, model_name, from_ms, until_ms,"
                    + " traces, labeled, path, summary, taken_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                    + " ?)")) {
          s.setString(1, checkKey);
          s.setString(2, model);
          s.setLong(3, from);
          s.setLong(4, until);
          s.setInt(5, traces);
          s.setInt(6, labeled[0]);
          s.setString(7, path);
          s.setString(8, summary);
          s.setLong(9, clock.millis());
          s.executeUpdate();
        }
        c.commit();
        return path == null ? nothingNew(model) : new BatchSelection(path, List.of(summary), 0);
      } catch (SQLException e) {
        boolean conflict = e.getSQLState() != null && e.getSQLState().startsWith("23");
        if (!conflict || attempt >= 5) {
          throw new IllegalStateException("Cannot record the traces' window: " + e, e);
        }
        // Another check of this model took the same window at the same moment: look again.
      }
    }
  }

  /** The window this check took before (a retry): the same file, or nothing again. */
  private BatchSelection takenBy(Connection c, String checkKey, String model) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT path, summary FROM drift_trace_windows WHERE check_key = ?")) {
      s.setString(1, checkKey);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        String path = rs.getString(1);
        return path == null
            ? nothingNew(model)
            : new BatchSelection(path, List.of(rs.getString(2)), 0);
      }
    }
  }

  private BatchSelection nothingNew(String model) {
    try (Connection c = db.getConnection()) {
      long last = longValue(c, "COALESCE(MAX(CASE WHEN traces > 0 THEN taken_at END), 0)", model);
      return new BatchSelection(null, List.of(), last);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the traces' windows: " + e, e);
    }
  }

  private static long longValue(Connection c, String expression, String model) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT " + expression + " FROM drift_trace_windows WHERE model_name = ?")) {
      s.setString(1, model);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** What the batch is, for the check's result (its "batch files"). */
  static String summary(
      String model, long from, long until, int traces, int labeled, int unusableFixes) {
    return "traces of "
        + model
        + " (every version) "
        + (from == 0 ? "until " : "from " + Instant.ofEpochMilli(from) + " to ")
        + Instant.ofEpochMilli(until)
        + ": "
        + traces
        + " answered, "
        + labeled
        + " corrected (labeled rows)"
        + (unusableFixes == 0
            ? ""
            : ", "
                + unusableFixes
                + " correction"
                + (unusableFixes == 1 ? "" : "s")
                + " not a JSON object of the answer's fields (left unlabeled)");
  }
}
