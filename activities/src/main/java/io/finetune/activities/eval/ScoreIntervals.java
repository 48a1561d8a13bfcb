package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.EvalActivities.Comparison;
import io.finetune.workflows.eval.EvalActivities.Intervals;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 95% intervals from the prediction files: a headline score's, and a difference to another model
 * scored on the same rows. The seed comes from the data's hash, so the same predictions always give
 * the same interval.
 */
final class ScoreIntervals {
  private static final Logger log = LoggerFactory.getLogger(ScoreIntervals.class);

  private ScoreIntervals() {}

  /**
   * The interval of {@code metric} in {@code predictions}, and compared with {@code other} (when
   * not null); null when the metric is not a mean over rows.
   */
  static Intervals of(
      ArtifactStore store,
      String metric,
      ArtifactRef predictions,
      ArtifactRef other,
      String otherModel,
      String dataSha256) {
    if (metric == null) {
      return null;
    }
    Path mineFile = store.existing(predictions.path());
    double[] values = values(mineFile, metric);
    if (values == null) {
      return null;
    }
    long seed = seed(dataSha256);
    Bootstrap.Interval score = Bootstrap.mean(values, seed);
    Comparison vs = null;
    if (other != null) {
      Path theirsFile = store.existing(other.path());
      double[] theirs = values(theirsFile, metric);
      if (theirs != null && theirs.length == values.length && sameRows(mineFile, theirsFile)) {
        Bootstrap.Interval d = Bootstrap.paired(values, theirs, seed);
        vs = new Comparison(otherModel, d.estimate(), d.lo(), d.hi());
      } else {
        log.warn("Not compared with {}: its predictions are not of the same rows", otherModel);
      }
    }
    return new Intervals(metric, values.length, score.lo(), score.hi(), vs);
  }

  /** The scored lines of a prediction file, one at a time, with their 0-based line numbers. */
  static ScoredLines scored(Path predictions) {
    return new ScoredLines(predictions);
  }

  /** The scored lines of a prediction file; close it when not read to the end. */
  static final class ScoredLines implements Iterator<Scored>, java.io.Closeable {
    private final JsonLines<JsonNode> lines;
    private Scored next;

    private ScoredLines(Path file) {
      lines = JsonLines.of(List.of(file), EvalRows::tree);
      next = advance();
    }

    private Scored advance() {
      while (lines.hasNext()) {
        long row = lines.position();
        JsonNode p = lines.next();
        if (p.path("scored").asBoolean(false)) {
          return new Scored((int) row, p);
        }
      }
      return null;
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Scored next() {
      if (next == null) {
        throw new java.util.NoSuchElementException();
      }
      Scored s = next;
      next = advance();
      return s;
    }

    @Override
    public void close() {
      lines.close();
    }
  }

  /** A scored line of a prediction file and its place in it. */
  record Scored(int row, JsonNode line) {}

  /**
   * Each scored row's value for the metric, read one line at a time; null when the metric is not a
   * mean over rows.
   */
  private static double[] values(Path file, String metric) {
    double[] out = new double[256];
    int n = 0;
    try (ScoredLines it = scored(file)) {
      while (it.hasNext()) {
        Double v = value(it.next().line(), metric);
        if (v == null) {
          return null;
        }
        if (n == out.length) {
          out = Arrays.copyOf(out, n * 2);
        }
        out[n++] = v;
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** Whether two prediction files score the same inputs in the same order (read side by side). */
  private static boolean sameRows(Path a, Path b) {
    try (ScoredLines x = scored(a);
        ScoredLines y = scored(b)) {
      while (x.hasNext() && y.hasNext()) {
        if (!x.next()
            .line()
            .path("input")
            .asText()
            .equals(y.next().line().path("input").asText())) {
          return false;
        }
      }
      return !x.hasNext() && !y.hasNext();
    }
  }

  /** A row's value for the metric: 1 or 0; null for a metric that is not a mean over rows. */
  static Double value(JsonNode p, String metric) {
    if (metric.equals(Scores.EXACT_MATCH)) {
      return p.path("exact").asBoolean(false) ? 1.0 : 0.0;
    }
    if (metric.equals(Scores.TEXT_EXACT_MATCH)) {
      return p.path("exact").asBoolean(false) ? 1.0 : 0.0;
    }
    // Per-row chrF: the interval is of their mean, near but not equal to the corpus-level score.
    if (metric.equals(Scores.CHRF)) {
      JsonNode chrf = p.path("chrf");
      return chrf.isNumber() ? chrf.asDouble() : null;
    }
    if (metric.equals(Scores.INVALID_OUTPUT_RATE)) {
      return p.path("valid").asBoolean(false) ? 0.0 : 1.0;
    }
    if (metric.startsWith(Scores.FIELD_PREFIX)) {
      JsonNode hit = p.path("fields").path(metric.substring(Scores.FIELD_PREFIX.length()));
      return hit.asBoolean(false) ? 1.0 : 0.0;
    }
    return null;
  }

  /** The bootstrap's seed from a data hash: the same data, the same resamples. */
  static long seed(String sha256) {
    if (sha256 == null || sha256.length() < 16) {
      return 1;
    }
    return Long.parseUnsignedLong(sha256.substring(0, 16), 16);
  }
}
