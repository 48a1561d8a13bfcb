package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.RunComparison;
import io.finetune.workflows.spec.PipelineSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Run over run: every tracked eval is recorded (table {@code eval_runs}, see db/migration) and
 * compared, row by row, with the latest earlier eval of the same label by another workflow run of
 * the same spec on the same data. Equal data (by hash) means equal rows in the same order, so the
 * two prediction files align: the score change gets a 95% interval from a paired bootstrap (seeded
 * by the data's hash), and the rows that went from right to wrong and back are counted and listed.
 *
 * <p>Idempotent: an eval's row is keyed by workflow id, run id, label and data, so a retried
 * activity finds its own row (and keeps its place in the order) instead of adding another, and
 * never compares with itself.
 */
final class RunOverRun {
  private static final Logger log = LoggerFactory.getLogger(RunOverRun.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How many earlier evals are tried, newest first, when a prediction file has gone. */
  private static final int LOOK_BACK = 20;

  private static final String COLUMNS =
      "id, model_id, prompt_sha256, workflow_id, run_id, predictions_path, predictions_sha256,"
          + " predictions_bytes, recorded_at";

  private final DataSource db;
  private final ArtifactStore store;

  RunOverRun(DataSource db, ArtifactStore store) {
    this.db = db;
    this.store = store;
  }

  /** An eval as recorded. */
  private record Recorded(
      long id,
      String model,
      String promptSha256,
      String workflowId,
      String runId,
      ArtifactRef predictions,
      long recordedAtMillis) {}

  /**
   * Records this eval of run {@code runId} of {@code workflowId} and compares it with the previous
   * run's; null when the request is not tracked, or there is no earlier eval to compare with.
   *
   * @param metrics this eval's metrics, of which the compared one is recorded
   */
  RunComparison recordAndCompare(
      EvalRequest r,
      String workflowId,
      String runId,
      ArtifactRef predictions,
      Map<String, Double> metrics) {
    if (r.specName() == null || r.label() == null) {
      return null;
    }
    String metric = metric(r);
    Double score = metrics.containsKey(metric) ? Scores.of(metrics, metric) : null;
    String promptSha = r.prompt() == null ? null : sha256(r.prompt());
    try (Connection c = db.getConnection()) {
      long own = record(c, r, workflowId, runId, metric, score, promptSha, predictions);
      for (Recorded earlier : earlier(c, r, workflowId, runId, own)) {
        Path file = Path.of(earlier.predictions().path());
        if (!Files.isRegularFile(file)) {
          log.warn(
              "Run over run: the predictions of {} run {} ({}) are gone; trying an older run",
              earlier.workflowId(),
              earlier.runId(),
              file);
          continue;
        }
        return compare(r, metric, promptSha, earlier, predictions).orElse(null);
      }
      return null;
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot record the eval for run-over-run: " + e, e);
    }
  }

  /**
   * The metric compared: the request's key metric, else the task's headline one ({@code
   * exact_match}, {@code chrf} for text).
   */
  static String metric(EvalRequest r) {
    if (r.keyMetric() != null) {
      return r.keyMetric();
    }
    return PipelineSpec.TASK_TEXT.equals(r.task()) ? Scores.CHRF : Scores.EXACT_MATCH;
  }

  /** This eval's row: found when a retry of the same run recorded it already, else inserted. */
  private static long record(
      Connection c,
      EvalRequest r,
      String workflowId,
      String runId,
      String metric,
      Double score,
      String promptSha,
      ArtifactRef predictions)
      throws SQLException {
    Optional<Long> existing = ownId(c, r, workflowId, runId);
    if (existing.isPresent()) {
      // A retry: the same run's answers, scored again. Its place in the order stays.
      try (PreparedStatement s =
          c.prepareStatement(
              "UPDATE eval_runs SET model_id = ?, metric = ?, score = ?, predictions_path = ?,"
                  + " predictions_sha256 = ?, predictions_bytes = ? WHERE id = ?")) {
        s.setString(1, r.model());
        s.setString(2, metric);
        setScore(s, 3, score);
        s.setString(4, predictions.path());
        s.setString(5, predictions.sha256());
        s.setLong(6, predictions.bytes());
        s.setLong(7, existing.get());
        s.executeUpdate();
      }
      return existing.get();
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO eval_runs (spec_name, set_name, set_sha256, label, model_id,"
                + " prompt_sha256, workflow_id, run_id, metric, score, predictions_path,"
                + " predictions_sha256, predictions_bytes, recorded_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, r.specName());
      s.setString(2, r.data().name());
      s.setString(3, r.data().sha256());
      s.setString(4, r.label());
      s.setString(5, r.model());
      s.setString(6, promptSha);
      s.setString(7, workflowId);
      s.setString(8, runId);
      s.setString(9, metric);
      setScore(s, 10, score);
      s.setString(11, predictions.path());
      s.setString(12, predictions.sha256());
      s.setLong(13, predictions.bytes());
      s.setLong(14, System.currentTimeMillis());
      s.executeUpdate();
    } catch (SQLException e) {
      boolean conflict = e.getSQLState() != null && e.getSQLState().startsWith("23");
      if (!conflict) {
        throw e;
      }
      // Another attempt of the same eval recorded it meanwhile: its row is this eval's.
    }
    return ownId(c, r, workflowId, runId)
        .orElseThrow(() -> new SQLException("the eval's row is missing right after its insert"));
  }

  private static Optional<Long> ownId(Connection c, EvalRequest r, String workflowId, String runId)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT id FROM eval_runs WHERE workflow_id = ? AND run_id = ? AND label = ?"
                + " AND set_sha256 = ?")) {
      s.setString(1, workflowId);
      s.setString(2, runId);
      s.setString(3, r.label());
      s.setString(4, r.data().sha256());
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
      }
    }
  }

  /** The evals recorded before this one, of other runs, newest first. */
  private static List<Recorded> earlier(
      Connection c, EvalRequest r, String workflowId, String runId, long own) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT "
                + COLUMNS
                + " FROM eval_runs WHERE spec_name = ? AND set_sha256 = ? AND label = ? AND id < ?"
                + " AND NOT (workflow_id = ? AND run_id = ?) ORDER BY id DESC LIMIT "
                + LOOK_BACK)) {
      s.setString(1, r.specName());
      s.setString(2, r.data().sha256());
      s.setString(3, r.label());
      s.setLong(4, own);
      s.setString(5, workflowId);
      s.setString(6, runId);
      List<Recorded> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Recorded(
                  rs.getLong("id"),
                  rs.getString("model_id"),
                  rs.getString("prompt_sha256"),
                  rs.getString("workflow_id"),
                  rs.getString("run_id"),
                  new ArtifactRef(
                      rs.getString("predictions_path"),
                      rs.getString("predictions_sha256"),
                      rs.getLong("predictions_bytes")),
                  rs.getLong("recorded_at")));
        }
      }
      return out;
    }
  }

  private Optional<RunComparison> compare(
      EvalRequest r, String metric, String promptSha, Recorded earlier, ArtifactRef predictions) {
    Path beforeFile = Path.of(earlier.predictions().path());
    Path nowFile = store.existing(predictions.path());
    // First pass, both files side by side: aligned rows, their values, the changes counted. Only
    // the values are kept (primitives, for the bootstrap), not the lines.
    double[] a = new double[256];
    double[] b = new double[256];
    int n = 0;
    double sumA = 0;
    double sumB = 0;
    int rightToWrong = 0;
    int wrongToRight = 0;
    boolean aligned = true;
    try (ScoreIntervals.ScoredLines was = ScoreIntervals.scored(beforeFile);
        ScoreIntervals.ScoredLines is = ScoreIntervals.scored(nowFile)) {
      while (aligned && was.hasNext() && is.hasNext()) {
        ScoreIntervals.Scored before = was.next();
        ScoreIntervals.Scored now = is.next();
        Double valueBefore = ScoreIntervals.value(before.line(), metric);
        Double valueNow = ScoreIntervals.value(now.line(), metric);
        if (valueBefore == null
            || valueNow == null
            || before.row() != now.row()
            || !before.line().path("input").equals(now.line().path("input"))) {
          aligned = false;
          break;
        }
        if (n == a.length) {
          a = Arrays.copyOf(a, n * 2);
          b = Arrays.copyOf(b, n * 2);
        }
        a[n] = valueNow;
        b[n] = valueBefore;
        sumA += valueNow;
        sumB += valueBefore;
        n++;
        boolean wasRight = right(before.line(), metric, valueBefore);
        if (wasRight != right(now.line(), metric, valueNow)) {
          if (wasRight) {
            rightToWrong++;
          } else {
            wrongToRight++;
          }
        }
      }
      aligned &= !was.hasNext() && !is.hasNext();
    }
    if (!aligned || n == 0) {
      log.warn(
          "Run over run: not compared with {} run {}: its predictions are not of the same rows"
              + " or not scored by {}",
          earlier.workflowId(),
          earlier.runId(),
          metric);
      return Optional.empty();
    }
    Bootstrap.Interval d =
        Bootstrap.paired(
            Arrays.copyOf(a, n), Arrays.copyOf(b, n), ScoreIntervals.seed(r.data().sha256()));
    ArtifactRef changedRows =
        rightToWrong + wrongToRight == 0
            ? null
            : store.writeLines(
                "run-over-run", "jsonl", () -> changedRows(beforeFile, nowFile, metric));
    return Optional.of(
        new RunComparison(
            earlier.workflowId(),
            earlier.runId(),
            earlier.recordedAtMillis(),
            earlier.model(),
            !Objects.equals(earlier.promptSha256(), promptSha),
            metric,
            n,
            sumB / n,
            sumA / n,
            d.estimate(),
            d.lo(),
            d.hi(),
            rightToWrong,
            wrongToRight,
            changedRows));
  }

  /** Second pass over two aligned files: the rows that changed, as listed, one at a time. */
  private static java.util.Iterator<String> changedRows(
      Path beforeFile, Path nowFile, String metric) {
    ScoreIntervals.ScoredLines was = ScoreIntervals.scored(beforeFile);
    ScoreIntervals.ScoredLines is = ScoreIntervals.scored(nowFile);
    return new java.util.Iterator<>() {
      private String next = advance();

      private String advance() {
        while (was.hasNext() && is.hasNext()) {
          ScoreIntervals.Scored before = was.next();
          ScoreIntervals.Scored now = is.next();
          boolean wasRight =
              right(before.line(), metric, ScoreIntervals.value(before.line(), metric));
          if (wasRight != right(now.line(), metric, ScoreIntervals.value(now.line(), metric))) {
            return changedRow(before, now, wasRight);
          }
        }
        was.close();
        is.close();
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public String next() {
        String line = next;
        next = advance();
        return line;
      }
    };
  }

  /** A changed row as listed: which way, the row's place, input, reference and both answers. */
  private static String changedRow(
      ScoreIntervals.Scored was, ScoreIntervals.Scored is, boolean wasRight) {
    ObjectNode line = JSON.createObjectNode();
    line.put("change", wasRight ? "right->wrong" : "wrong->right");
    line.put("row", is.row());
    line.set("input", is.line().get("input"));
    line.set("expected", is.line().get("expected"));
    line.set("previousAnswer", was.line().get("answer"));
    line.set("answer", is.line().get("answer"));
    return line.toString();
  }

  /**
   * Whether a row is right: its value for a metric of right or wrong rows; for chrF, which scores a
   * row between 0 and 1, whether the text matches (text exact match).
   */
  private static boolean right(JsonNode p, String metric, double value) {
    if (metric.equals(Scores.CHRF)) {
      return p.path("exact").asBoolean(false);
    }
    if (metric.equals(Scores.INVALID_OUTPUT_RATE)) {
      return value == 0;
    }
    return value == 1;
  }

  private static void setScore(PreparedStatement s, int index, Double score) throws SQLException {
    if (score == null || score.isNaN()) {
      s.setNull(index, java.sql.Types.DOUBLE);
    } else {
      s.setDouble(index, score);
    }
  }

  private static String sha256(String text) {
    return ArtifactStore.sha256Hex(text.getBytes(StandardCharsets.UTF_8));
  }
}
