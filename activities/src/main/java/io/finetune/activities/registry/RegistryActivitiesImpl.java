package io.finetune.activities.registry;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.common.Names;
import io.finetune.workflows.registry.RegistryActivities;
import io.finetune.workflows.rollout.RolloutActivities.Deployment;
import io.finetune.workflows.spec.PipelineSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Model versions in the database (table {@code model_versions}, see db/migration): one version per
 * promoting run, numbered per model name. The current one is the version serving the model's
 * traffic ({@link Deployments}; the highest version for a model promoted before rollouts). Safe
 * with several workers: a version number taken by another worker in the meantime is retried.
 */
public class RegistryActivitiesImpl implements RegistryActivities {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COLUMNS =
      "name, version, model_id, provider, size, metrics_json, spec_json, dataset_json, run_id,"
          + " approved_by, promoted_at";
  private final DataSource db;

  public RegistryActivitiesImpl(DataSource db) {
    this.db = db;
  }

  @Override
  public ModelVersion promote(PromoteRequest r) {
    checkName(r.name());
    for (int attempt = 1; ; attempt++) {
      try (Connection c = db.getConnection()) {
        c.setAutoCommit(false);
        try {
          Optional<ModelVersion> same =
              one(
                  c,
                  "SELECT " + COLUMNS + " FROM model_versions WHERE name = ? AND run_id = ?",
                  r.name(),
                  r.runId());
          if (same.isPresent()) {
            c.rollback();
            return same.get(); // a retried promotion of the same run
          }
          int previous = Deployments.highestVersion(c, r.name());
          ModelVersion v =
              new ModelVersion(
                  r.name(),
                  previous + 1,
                  r.modelId(),
                  r.provider(),
                  r.size(),
                  r.metrics(),
                  r.spec(),
                  r.dataset(),
                  r.runId(),
                  r.approvedBy(),
                  System.currentTimeMillis());
          if (!r.servesAtOnce() && previous > 0) {
            // A rollout will canary it: what served before this version keeps serving.
            Deployments.ensure(c, r.name(), previous);
            insert(c, v);
          } else {
            insert(c, v);
            Deployments.serve(
                c,
                "promote/" + r.runId(),
                r.name(),
                v.version(),
                r.approvedBy(),
                "promoted by run "
                    + r.runId()
                    + (r.approverIdentity() == null
                        ? ""
                        : "; approved by " + r.approvedBy() + ", " + r.approverIdentity()));
          }
          c.commit();
          return v;
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        }
      } catch (SQLException e) {
        boolean conflict = e.getSQLState() != null && e.getSQLState().startsWith("23");
        if (!conflict || attempt >= 5) {
          throw new IllegalStateException("Cannot promote " + r.modelId() + ": " + e, e);
        }
        // Another worker took this version number (or promoted this run) first: look again.
      }
    }
  }

  @Override
  public ModelVersion current(String name) {
    ModelVersion v = find(name);
    if (v == null) {
      throw Failures.invalidInput("No model called '" + name + "' has been promoted yet");
    }
    return v;
  }

  @Override
  public ModelVersion find(String name) {
    // A canary's share is below 1 (startCanary refuses others): a draw of 1 is never the canary.
    return route(name, 1.0);
  }

  /**
   * The version that answers a call to {@code name}: the canary when a rollout runs and {@code
   * draw} (uniform in [0, 1)) falls in its share, else the current version; null when none was
   * promoted. One connection, one read of what serves: the gateway calls it on every request.
   */
  public ModelVersion route(String name, double draw) {
    checkName(name);
    try (Connection c = db.getConnection()) {
      Deployment d = Deployments.get(c, name);
      if (d == null) {
        return one(
                c,
                "SELECT "
                    + COLUMNS
                    + " FROM model_versions WHERE name = ?"
                    + " ORDER BY version DESC LIMIT 1",
                name)
            .orElse(null);
      }
      if (d.canary() != null && draw < d.canaryShare()) {
        Optional<ModelVersion> canary = version(c, name, d.canary());
        if (canary.isPresent()) {
          return canary.get();
        }
      }
      return version(c, name, d.stable()).orElse(null);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the registry: " + e, e);
    }
  }

  /**
   * Version {@code version} of the model called {@code name}, or null when there is none: for
   * callers that name a version rather than take the current one ({@code name@version}).
   */
  public ModelVersion find(String name, int version) {
    checkName(name);
    try (Connection c = db.getConnection()) {
      return version(c, name, version).orElse(null);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the registry: " + e, e);
    }
  }

  private static Optional<ModelVersion> version(Connection c, String name, int version)
      throws SQLException {
    return one(
        c,
        "SELECT " + COLUMNS + " FROM model_versions WHERE name = ? AND version = ?",
        name,
        version);
  }

  private static void checkName(String name) {
    if (!Names.isValid(name)) {
      throw Failures.invalidInput("Invalid model name '" + name + "'");
    }
  }

  private static void insert(Connection c, ModelVersion v) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO model_versions ("
                + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, v.name());
      s.setInt(2, v.version());
      s.setString(3, v.modelId());
      s.setString(4, v.provider());
      s.setString(5, v.size());
      s.setString(6, json(v.metrics()));
      s.setString(7, json(v.spec()));
      s.setString(8, json(v.dataset()));
      s.setString(9, v.runId());
      s.setString(10, v.approvedBy());
      s.setLong(11, v.promotedAtMillis());
      s.executeUpdate();
    }
  }

  private static Optional<ModelVersion> one(Connection c, String sql, Object... args)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        s.setObject(i + 1, args[i]); // typed by its Java class: PostgreSQL compares int to int
      }
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new ModelVersion(
                rs.getString("name"),
                rs.getInt("version"),
                rs.getString("model_id"),
                rs.getString("provider"),
                rs.getString("size"),
                read(rs.getString("metrics_json"), new TypeReference<Map<String, Double>>() {}),
                read(rs.getString("spec_json"), new TypeReference<PipelineSpec>() {}),
                read(rs.getString("dataset_json"), new TypeReference<DatasetRef>() {}),
                rs.getString("run_id"),
                rs.getString("approved_by"),
                rs.getLong("promoted_at")));
      }
    }
  }

  private static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T read(String json, TypeReference<T> type) {
    try {
      return JSON.readValue(json, type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
