package io.finetune.activities.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.rollout.RolloutActivities.Completion;
import io.finetune.workflows.rollout.RolloutActivities.Deployment;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * What serves each model (table {@code model_deployments}) and the audit of every change to it
 * ({@code deployment_audit}), shared by the registry, the rollout's activities, the gateway and
 * {@code ./finetune rollback}. Each change runs in one transaction with its audit row, keyed so
 * that a retried step changes nothing twice.
 */
public final class Deployments {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final DataSource db;

  public Deployments(DataSource db) {
    this.db = db;
  }

  /** One line of the audit. */
  public record AuditEntry(
      String key,
      String model,
      long atMillis,
      String action,
      Integer fromVersion,
      Integer toVersion,
      Double canaryShare,
      String actor,
      String reason,
      String figures) {}

  /** What serves {@code name}, or null when it has no row (its highest version serves). */
  public Deployment get(String name) {
    try (Connection c = db.getConnection()) {
      return get(c, name);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read what serves " + name + ": " + e, e);
    }
  }

  /**
   * Version {@code candidate} serves {@code share} of {@code name}'s traffic beside {@code stable}.
   * A retried step (same {@code key}) changes nothing.
   */
  public Deployment startCanary(
      String key, String name, int candidate, int stable, double share, String actor) {
    return startCanary(key, name, candidate, stable, share, actor, null);
  }

  /**
   * The same, the audit saying how {@code actor}, who approved the promotion, is known ({@code
   * actorIdentity}: "verified (token ...)" or "unverified (--by only)"; null: not said).
   */
  public Deployment startCanary(
      String key,
      String name,
      int candidate,
      int stable,
      double share,
      String actor,
      String actorIdentity) {
    return inTransaction(
        c -> {
          if (audited(c, key) == null) {
            ensure(c, name, stable);
            Deployment d = get(c, name);
            write(c, name, d.stable(), candidate, share, key);
            audit(
                c,
                new AuditEntry(
                    key,
                    name,
                    now(),
                    "canary",
                    d.stable(),
                    candidate,
                    share,
                    actor,
                    String.format(
                            Locale.ROOT,
                            "v%d serves %.0f%% of the traffic beside v%d",
                            candidate,
                            share * 100,
                            d.stable())
                        + (actorIdentity == null
                            ? ""
                            : "; approved by " + actor + ", " + actorIdentity),
                    null));
          }
          return get(c, name);
        });
  }

  /**
   * Ends {@code candidate}'s canary: it takes all traffic ({@code rollOut}) or the stable version
   * takes it back. If the canary is no longer there (rolled back from the CLI meanwhile), nothing
   * changes and the completion says who ended it. A retried step answers as the first did.
   */
  public Completion complete(
      String key,
      String name,
      int candidate,
      boolean rollOut,
      String actor,
      String reason,
      Object figures) {
    return inTransaction(
        c -> {
          AuditEntry done = audited(c, key);
          if (done != null) {
            return new Completion(
                !done.action().equals("canary-already-ended"), done.toVersion(), done.reason());
          }
          Deployment d = get(c, name);
          if (d == null || d.canary() == null || d.canary() != candidate) {
            AuditEntry ended = lastChange(c, name);
            String detail =
                "the canary of v"
                    + candidate
                    + " had already been ended"
                    + (ended == null
                        ? ""
                        : " by "
                            + ended.actor()
                            + " ("
                            + ended.action()
                            + (ended.reason() == null ? "" : ": " + ended.reason())
                            + ")");
            int serving = d == null ? candidate : d.stable();
            audit(
                c,
                new AuditEntry(
                    key,
                    name,
                    now(),
                    "canary-already-ended",
                    candidate,
                    serving,
                    null,
                    actor,
                    detail,
                    json(figures)));
            return new Completion(false, serving, detail);
          }
          int serving = rollOut ? candidate : d.stable();
          write(c, name, serving, null, 0, null);
          audit(
              c,
              new AuditEntry(
                  key,
                  name,
                  now(),
                  rollOut ? "rolled-out" : "rolled-back",
                  rollOut ? d.stable() : candidate,
                  serving,
                  null,
                  actor,
                  reason,
                  json(figures)));
          return new Completion(true, serving, reason);
        });
  }

  /**
   * {@code ./finetune rollback}: ends a canary, or serves version {@code to} (null: the canary's
   * stable version when a canary runs, else the version below the one serving).
   */
  public AuditEntry rollback(String name, Integer to, String actor, String reason) {
    return inTransaction(
        c -> {
          int highest = highestVersion(c, name);
          if (highest == 0) {
            throw Failures.invalidInput("No model called '" + name + "' has been promoted yet");
          }
          Deployment d = get(c, name);
          int serving = d == null ? highest : d.stable();
          Integer canary = d == null ? null : d.canary();
          int target;
          if (to != null) {
            if (to < 1 || to > highest) {
              throw Failures.invalidInput(
                  name + " has no version " + to + "; its versions are 1 to " + highest);
            }
            if (to == serving && canary == null) {
              throw Failures.invalidInput(name + " v" + to + " already serves all traffic");
            }
            target = to;
          } else if (canary != null) {
            target = serving;
          } else if (serving > 1) {
            target = serving - 1;
          } else {
            throw Failures.invalidInput(
                name + " v" + serving + " is its only version: there is nothing to roll back to");
          }
          write(c, name, target, null, 0, null);
          String what =
              canary == null
                  ? "v" + target + " serves all traffic instead of v" + serving
                  : "canary v"
                      + canary
                      + " ended; v"
                      + target
                      + " serves all traffic"
                      + (target == serving ? "" : " instead of v" + serving);
          AuditEntry entry =
              new AuditEntry(
                  "rollback/" + UUID.randomUUID(),
                  name,
                  now(),
                  "rollback",
                  canary != null ? canary : serving,
                  target,
                  null,
                  actor,
                  reason == null || reason.isBlank() ? what : what + ": " + reason,
                  null);
          audit(c, entry);
          return entry;
        });
  }

  /** Writes {@code entry} unless its key was written already. */
  public void audit(AuditEntry entry) {
    inTransaction(
        c -> {
          if (audited(c, entry.key()) == null) {
            audit(c, entry);
          }
          return null;
        });
  }

  /** The audit of {@code name}, oldest first, at most the last {@code limit} entries. */
  public List<AuditEntry> audit(String name, int limit) {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT * FROM deployment_audit WHERE model_name = ? ORDER BY at DESC, step_key"
                    + " DESC")) {
      s.setString(1, name);
      s.setMaxRows(limit);
      List<AuditEntry> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(0, entry(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the audit of " + name + ": " + e, e);
    }
  }

  // ---- within a transaction (the registry's promotion uses these too) ---------------------------

  static Deployment get(Connection c, String name) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT name, stable_version, canary_version, canary_share, updated_at"
                + " FROM model_deployments WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        int canary = rs.getInt("canary_version");
        boolean noCanary = rs.wasNull();
        return new Deployment(
            rs.getString("name"),
            rs.getInt("stable_version"),
            noCanary ? null : canary,
            rs.getDouble("canary_share"),
            rs.getLong("updated_at"));
      }
    }
  }

  /** Makes sure {@code name} has a row, serving {@code version} when it had none. */
  static void ensure(Connection c, String name, int version) throws SQLException {
    if (get(c, name) == null) {
      write(c, name, version, null, 0, null);
    }
  }

  /** Version {@code version} serves all of {@code name}'s traffic (a promotion without canary). */
  static void serve(Connection c, String key, String name, int version, String actor, String why)
      throws SQLException {
    Deployment before = get(c, name);
    write(c, name, version, null, 0, null);
    if (audited(c, key) == null) {
      audit(
          c,
          new AuditEntry(
              key,
              name,
              now(),
              "promoted",
              before == null ? null : before.stable(),
              version,
              null,
              actor,
              why,
              null));
    }
  }

  static int highestVersion(Connection c, String name) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE name = ?")) {
      s.setString(1, name);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static void write(
      Connection c, String name, int stable, Integer canary, double share, String key)
      throws SQLException {
    try (PreparedStatement u =
        c.prepareStatement(
            "UPDATE model_deployments SET stable_version = ?, canary_version = ?,"
                + " canary_share = ?, rollout_key = ?, updated_at = ? WHERE name = ?")) {
      bind(u, stable, canary, share, key);
      u.setString(6, name);
      if (u.executeUpdate() == 1) {
        return;
      }
    }
    try (PreparedStatement i =
        c.prepareStatement(
            "INSERT INTO model_deployments (stable_version, canary_version, canary_share,"
                + " rollout_key, updated_at, name) VALUES (?, ?, ?, ?, ?, ?)")) {
      bind(i, stable, canary, share, key);
      i.setString(6, name);
      i.executeUpdate();
    }
  }

  private static void bind(
      PreparedStatement s, int stable, Integer canary, double share, String key)
      throws SQLException {
    s.setInt(1, stable);
    if (canary == null) {
      s.setNull(2, Types.INTEGER);
    } else {
      s.setInt(2, canary);
    }
    s.setDouble(3, share);
    s.setString(4, key);
    s.setLong(5, now());
  }

  private static AuditEntry audited(Connection c, String key) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT * FROM deployment_audit WHERE step_key = ?")) {
      s.setString(1, key);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? entry(rs) : null;
      }
    }
  }

  /** The latest entry that changed what serves {@code name}. */
  private static AuditEntry lastChange(Connection c, String name) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT * FROM deployment_audit WHERE model_name = ? AND action IN ('rollback',"
                + " 'promoted', 'rolled-out', 'rolled-back') ORDER BY at DESC")) {
      s.setString(1, name);
      s.setMaxRows(1);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? entry(rs) : null;
      }
    }
  }

  private static void audit(Connection c, AuditEntry e) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO deployment_audit (step_key, model_name, at, action, from_version,"
                + " to_version, canary_share, actor, reason, figures)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, e.key());
      s.setString(2, e.model());
      s.setLong(3, e.atMillis());
      s.setString(4, e.action());
      s.setObject(5, e.fromVersion(), Types.INTEGER);
      s.setObject(6, e.toVersion(), Types.INTEGER);
      s.setObject(7, e.canaryShare(), Types.DOUBLE);
      s.setString(8, e.actor());
      s.setString(9, e.reason());
      s.setString(10, e.figures());
      s.executeUpdate();
    }
  }

  private static AuditEntry entry(ResultSet rs) throws SQLException {
    return new AuditEntry(
        rs.getString("step_key"),
        rs.getString("model_name"),
        rs.getLong("at"),
        rs.getString("action"),
        (Integer) rs.getObject("from_version", Integer.class),
        (Integer) rs.getObject("to_version", Integer.class),
        (Double) rs.getObject("canary_share", Double.class),
        rs.getString("actor"),
        rs.getString("reason"),
        rs.getString("figures"));
  }

  /** {@code figures} as JSON for the audit (null stays null). */
  public static String json(Object figures) {
    try {
      return figures == null ? null : JSON.writeValueAsString(figures);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  /** Work on one connection in one transaction. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  <T> T inTransaction(Work<T> work) {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try {
        T out = work.run(c);
        c.commit();
        return out;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot change what serves: " + e, e);
    }
  }
}
