package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.EvalActivities.Comparison;
import io.finetune.workflows.eval.EvalActivities.Intervals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
  private static final ObjectMapper JSON = new ObjectMapper();

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
    List<Scored> mine = read(store, predictions, metric);
    if (mine == null) {
      return null;
    }
    long seed = seed(dataSha256);
    double[] values = values(mine);
    Bootstrap.Interval score = Bootstrap.mean(values, seed);
    Comparison vs = null;
    if (other != null) {
      List<Scored> theirs = read(store, other, metric);
      if (theirs != null && sameRows(mine, theirs)) {
        Bootstrap.Interval d = Bootstrap.paired(values, values(theirs), seed);
        vs = new Comparison(otherModel, d.estimate(), d.lo(), d.hi());
      } else {
        log.warn("Not compared with {}: its predictions are not of the same rows", otherModel);
      }
    }
    return new Intervals(metric, values.length, score.lo(), score.hi(), vs);
  }

  /** One scored row: its input (to check the pairing) and its value for the metric. */
  private record Scored(String input, double value) {}

  private static List<Scored> read(ArtifactStore store, ArtifactRef predictions, String metric) {
    Path file = store.existing(predictions.path());
    List<Scored> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        JsonNode p = JSON.readTree(line);
        if (!p.path("scored").asBoolean(false)) {
          continue;
        }
        Double v = value(p, metric);
        if (v == null) {
          return null;
        }
        out.add(new Scored(p.path("input").asText(), v));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
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

  private static boolean sameRows(List<Scored> a, List<Scored> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).input().equals(b.get(i).input())) {
        return false;
      }
    }
    return true;
  }

  private static double[] values(List<Scored> rows) {
    return rows.stream().mapToDouble(Scored::value).toArray();
  }

  /** The bootstrap's seed from a data hash: the same data, the same resamples. */
  static long seed(String sha256) {
    if (sha256 == null || sha256.length() < 16) {
      return 1;
    }
    return Long.parseUnsignedLong(sha256.substring(0, 16), 16);
  }
}
