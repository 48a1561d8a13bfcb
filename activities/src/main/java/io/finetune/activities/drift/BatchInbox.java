package io.finetune.activities.drift;

import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.drift.DriftActivities.BatchSelection;
import io.finetune.workflows.drift.DriftActivities.SelectBatchRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * A folder that production batches arrive in: each drift check of a model takes the {@code *.jsonl}
 * files that no earlier check of that model took (by content), recorded in the database, so that a
 * Schedule never checks the same rows twice and says so when nothing new arrived.
 */
final class BatchInbox {
  private final ArtifactStore store;
  private final DataSource db;

  BatchInbox(ArtifactStore store, DataSource db) {
    this.store = store;
    this.db = db;
  }

  BatchSelection select(SelectBatchRequest r) {
    Path source = Path.of(r.path());
    if (Files.isRegularFile(source)) {
      return new BatchSelection(r.path(), List.of(r.path()), 0);
    }
    if (!Files.isDirectory(source)) {
      throw Failures.invalidInput(r.path() + ": no such batch file or folder");
    }
    for (int attempt = 1; ; attempt++) {
      try (Connection c = db.getConnection()) {
        c.setAutoCommit(false);
        List<String> taken = takenBy(c, r.checkKey());
        if (taken.isEmpty()) {
          taken = takeNew(c, r, source);
        }
        c.commit();
        if (taken.isEmpty()) {
          return new BatchSelection(null, List.of(), lastTaken(r.modelName()));
        }
        return new BatchSelection(merge(taken), taken, 0);
      } catch (SQLException e) {
        boolean conflict = e.getSQLState() != null && e.getSQLState().startsWith("23");
        if (!conflict || attempt >= 5) {
          throw new IllegalStateException("Cannot record the batch files: " + e, e);
        }
        // Another check of this model took a file at the same moment: look again.
      }
    }
  }

  /** Files this check already took (a retry): the same ones again. */
  private static List<String> takenBy(Connection c, String checkKey) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT path FROM drift_batch_files WHERE check_key = ? ORDER BY path")) {
      s.setString(1, checkKey);
      List<String> paths = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          paths.add(rs.getString(1));
        }
      }
      return paths;
    }
  }

  private List<String> takeNew(Connection c, SelectBatchRequest r, Path folder)
      throws SQLException {
    Map<String, String> bySha = new LinkedHashMap<>();
    for (Path file : jsonlFiles(folder)) {
      bySha.putIfAbsent(sha256(file), file.toAbsolutePath().normalize().toString());
    }
    List<String> taken = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (Map.Entry<String, String> f : bySha.entrySet()) {
      if (known(c, r.modelName(), f.getKey())) {
        continue;
      }
      try (PreparedStatement s =
          c.prepareStatement(
              "INSERT INTO drift_batch_files (model_name, sha256, path, check_key, taken_at)"
                  + " VALUES (?, ?, ?, ?, ?)")) {
        s.setString(1, r.modelName());
        s.setString(2, f.getKey());
        s.setString(3, f.getValue());
        s.setString(4, r.checkKey());
        s.setLong(5, now);
        s.executeUpdate();
      }
      taken.add(f.getValue());
    }
    taken.sort(String::compareTo);
    return taken;
  }

  private static boolean known(Connection c, String model, String sha) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT 1 FROM drift_batch_files WHERE model_name = ? AND sha256 = ?")) {
      s.setString(1, model);
      s.setString(2, sha);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** When a check of this model last took files, or 0 if none ever did. */
  private long lastTaken(String model) {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT COALESCE(MAX(taken_at), 0) FROM drift_batch_files WHERE model_name = ?")) {
      s.setString(1, model);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the batch files: " + e, e);
    }
  }

  private static List<Path> jsonlFiles(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      return files
          .filter(f -> Files.isRegularFile(f) && f.getFileName().toString().endsWith(".jsonl"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The files as one batch in the artifact store, in path order, each ending its last line. */
  private String merge(List<String> paths) {
    ArtifactRef merged =
        store.write(
            "batches",
            "jsonl",
            out -> {
              for (String p : paths) {
                Files.copy(Path.of(p), out);
                if (!endsWithNewline(Path.of(p))) {
                  out.write('\n');
                }
              }
            });
    return merged.path();
  }

  private static boolean endsWithNewline(Path file) throws IOException {
    try (var channel = Files.newByteChannel(file)) {
      if (channel.size() == 0) {
        return true;
      }
      java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
      channel.position(channel.size() - 1).read(last);
      return last.get(0) == '\n';
    }
  }

  private static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
