package io.finetune.activities.drift;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fields.FieldValues;
import io.finetune.workflows.drift.DriftActivities.FieldDrift;
import io.finetune.workflows.spec.FieldType;
import io.finetune.workflows.spec.PipelineSpec;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The drift statistic each output field's type calls for. A distribution distance means something
 * only for categories: dates and names have new values in every batch, so it would call every batch
 * drift. Dates and numbers are checked for format and range instead (a year never seen in training
 * is drift: the model will write the years it learned), text by whether a classifier can tell
 * production values from training ones.
 */
final class FieldDrifts {
  static final String LABEL_DISTANCE = "label distance";
  static final String OUT_OF_RANGE_RATE = "out-of-range rate";
  static final String DOMAIN_AUC = "domain AUC";

  /** How a text task's whole answer is named among the fields. */
  static final String WHOLE_ANSWER = "answer";

  private static final int NOISE_DRAWS = 2_000;
  private static final int MAX_SIMULATED_TRAINING_ROWS = 5_000;

  /** A number this far past the training range (as a share of its span) is still in range. */
  private static final double RANGE_SLACK = 0.1;

  private final PipelineSpec.Drift limits;
  private final long seed;

  FieldDrifts(PipelineSpec.Drift limits, long seed) {
    this.limits = limits;
    this.seed = seed;
  }

  /** One statistic for {@code field} of type {@code type}; details go into {@code report}. */
  FieldDrift compare(
      String field, FieldType type, List<Row> train, List<Row> batch, ObjectNode report) {
    List<String> before = values(train, field);
    List<String> after = values(batch, field);
    report.put("type", type.id());
    report.put("trainingValues", before.size());
    report.put("productionValues", after.size());
    return switch (type) {
      case CATEGORY -> category(field, before, after, report);
      case DATE -> date(field, before, after, report);
      case NUMBER -> number(field, before, after, report);
      case TEXT -> text(field, before, after, report);
    };
  }

  private FieldDrift category(
      String field, List<String> before, List<String> after, ObjectNode report) {
    Map<String, Double> p = DriftActivitiesImpl.distribution(before);
    Map<String, Double> q = DriftActivitiesImpl.distribution(after);
    if (p.size() > limits.categoryLimit()) {
      String why =
          String.format(
              Locale.ROOT,
              "not compared: %d distinct values in training > drift.maxCategories %d (declare the"
                  + " field as text?)",
              p.size(),
              limits.categoryLimit());
      report.put("note", why);
      return new FieldDrift(
          field, FieldType.CATEGORY.id(), LABEL_DISTANCE, 0, limits.maxLabelDistance(), false, why);
    }
    double distance = after.isEmpty() ? 0 : DriftActivitiesImpl.jensenShannonDistance(p, q);
    report.putPOJO("training", p).putPOJO("production", q).put("distance", distance);
    // A small batch's shares differ from training by chance: the distance must also be past what
    // chance gives a batch of its size.
    double noise = after.isEmpty() ? 0 : samplingNoise(p, before.size(), after);
    double limit = Math.max(limits.maxLabelDistance(), noise);
    report.put("samplingNoise99", noise);
    Set<String> unseen = new HashSet<>(q.keySet());
    unseen.removeAll(p.keySet());
    String detail =
        after.isEmpty()
            ? "no labeled rows"
            : unseen.isEmpty()
                ? "labels as in training, shares shifted by " + biggestShift(p, q)
                : "labels never seen in training: " + String.join(", ", new TreeSet<>(unseen));
    if (noise > limits.maxLabelDistance()) {
      detail +=
          String.format(
              Locale.ROOT,
              "; limit raised to %.3f: chance alone gives %d rows that distance (99.9th percentile)",
              noise,
              after.size());
    }
    return new FieldDrift(
        field, FieldType.CATEGORY.id(), LABEL_DISTANCE, distance, limit, distance > limit, detail);
  }

  /**
   * The 99.9th percentile of the distance between two samples as large as the training data
   * (capped) and the batch, both drawn from the pooled shares: what chance alone gives. Seeded
   * simulation, so a retry gives the same figure.
   */
  private double samplingNoise(Map<String, Double> trainShares, int trainRows, List<String> batch) {
    Map<String, Double> pooled = new TreeMap<>();
    trainShares.forEach((k, v) -> pooled.merge(k, v * trainRows, Double::sum));
    batch.forEach(v -> pooled.merge(v, 1.0, Double::sum));
    List<String> labels = new ArrayList<>(pooled.keySet());
    double[] cumulative = new double[labels.size()];
    double sum = 0;
    for (int i = 0; i < labels.size(); i++) {
      sum += pooled.get(labels.get(i));
      cumulative[i] = sum;
    }
    Random random = new Random(seed);
    int m = Math.min(trainRows, MAX_SIMULATED_TRAINING_ROWS);
    double[] distances = new double[NOISE_DRAWS];
    for (int draw = 0; draw < NOISE_DRAWS; draw++) {
      distances[draw] =
          DriftActivitiesImpl.jensenShannonDistance(
              sample(labels, cumulative, m, random),
              sample(labels, cumulative, batch.size(), random));
    }
    java.util.Arrays.sort(distances);
    return distances[(int) Math.ceil(NOISE_DRAWS * 0.999) - 1];
  }

  /** The shares of {@code n} labels drawn with the given cumulative weights. */
  private static Map<String, Double> sample(
      List<String> labels, double[] cumulative, int n, Random random) {
    Map<String, Double> shares = new TreeMap<>();
    double total = cumulative[cumulative.length - 1];
    for (int i = 0; i < n; i++) {
      int k = java.util.Arrays.binarySearch(cumulative, random.nextDouble() * total);
      k = k < 0 ? -k - 1 : k;
      shares.merge(labels.get(Math.min(k, labels.size() - 1)), 1.0 / n, Double::sum);
    }
    return shares;
  }

  private FieldDrift date(
      String field, List<String> before, List<String> after, ObjectNode report) {
    Set<Integer> years = new TreeSet<>();
    for (String v : before) {
      LocalDate d = FieldValues.date(v);
      if (d != null) {
        years.add(d.getYear());
      }
    }
    Map<Integer, Integer> unseenYears = new TreeMap<>();
    int malformed = 0;
    for (String v : after) {
      LocalDate d = FieldValues.date(v);
      if (d == null) {
        malformed++;
      } else if (!years.contains(d.getYear())) {
        unseenYears.merge(d.getYear(), 1, Integer::sum);
      }
    }
    int unseen = unseenYears.values().stream().mapToInt(i -> i).sum();
    double rate = ratio(malformed + unseen, after.size());
    report.putPOJO("trainingYears", years).putPOJO("unseenYears", unseenYears);
    report.put("malformed", malformed).put("rate", rate);
    List<String> parts = new ArrayList<>();
    if (!unseenYears.isEmpty()) {
      parts.add(
          String.format(
              Locale.ROOT,
              "years never seen in training: %s (%d of %d rows)",
              unseenYears.keySet().stream().map(String::valueOf).collect(Collectors.joining(", ")),
              unseen,
              after.size()));
    }
    if (malformed > 0) {
      parts.add(malformed + " of " + after.size() + " not yyyy-MM-dd dates");
    }
    if (parts.isEmpty()) {
      parts.add("every date in a training year " + years);
    }
    return new FieldDrift(
        field,
        FieldType.DATE.id(),
        OUT_OF_RANGE_RATE,
        rate,
        limits.outOfRangeLimit(),
        rate > limits.outOfRangeLimit(),
        String.join("; ", parts));
  }

  private FieldDrift number(
      String field, List<String> before, List<String> after, ObjectNode report) {
    BigDecimal min = null;
    BigDecimal max = null;
    for (String v : before) {
      BigDecimal n = FieldValues.number(v);
      if (n != null) {
        min = min == null || n.compareTo(min) < 0 ? n : min;
        max = max == null || n.compareTo(max) > 0 ? n : max;
      }
    }
    if (min == null) {
      return new FieldDrift(
          field,
          FieldType.NUMBER.id(),
          OUT_OF_RANGE_RATE,
          0,
          limits.outOfRangeLimit(),
          false,
          "not compared: no numbers in training");
    }
    double slack = max.subtract(min).doubleValue() * RANGE_SLACK;
    double lo = min.doubleValue() - slack;
    double hi = max.doubleValue() + slack;
    int malformed = 0;
    int outside = 0;
    for (String v : after) {
      BigDecimal n = FieldValues.number(v);
      if (n == null) {
        malformed++;
      } else if (n.doubleValue() < lo || n.doubleValue() > hi) {
        outside++;
      }
    }
    double rate = ratio(malformed + outside, after.size());
    report.put("trainingMin", min).put("trainingMax", max).put("outside", outside);
    report.put("malformed", malformed).put("rate", rate);
    String detail =
        String.format(
            Locale.ROOT,
            "%d of %d outside the training range %s..%s (±%.0f%%)%s",
            outside,
            after.size(),
            min.toPlainString(),
            max.toPlainString(),
            RANGE_SLACK * 100,
            malformed > 0 ? "; " + malformed + " not numbers" : "");
    return new FieldDrift(
        field,
        FieldType.NUMBER.id(),
        OUT_OF_RANGE_RATE,
        rate,
        limits.outOfRangeLimit(),
        rate > limits.outOfRangeLimit(),
        detail);
  }

  /** A text task's answers, compared as one text field. */
  FieldDrift answers(List<String> before, List<String> after, ObjectNode report) {
    report.put("type", FieldType.TEXT.id());
    return text(WHOLE_ANSWER, before, after, report);
  }

  private FieldDrift text(
      String field, List<String> before, List<String> after, ObjectNode report) {
    Double auc = DomainClassifier.auc(before, after, seed);
    if (auc == null) {
      String why =
          "not compared: fewer than " + DomainClassifier.MIN_VALUES + " values on one side";
      report.put("note", why);
      return new FieldDrift(
          field, FieldType.TEXT.id(), DOMAIN_AUC, 0.5, limits.domainAucLimit(), false, why);
    }
    report.put("auc", auc);
    return new FieldDrift(
        field,
        FieldType.TEXT.id(),
        DOMAIN_AUC,
        auc,
        limits.domainAucLimit(),
        auc > limits.domainAucLimit(),
        auc > limits.domainAucLimit()
            ? "a classifier tells production values from training values"
            : "production values look like training values (0.5: indistinguishable)");
  }

  /** The non-empty values of a field in labeled rows. */
  private static List<String> values(List<Row> rows, String field) {
    List<String> out = new ArrayList<>();
    for (Row row : rows) {
      if (row.labeled() && row.output().isObject()) {
        String v = row.value(field);
        if (!v.isBlank()) {
          out.add(v);
        }
      }
    }
    return out;
  }

  /** The label whose share moved most, e.g. {@code billing 0.25 -> 0.40}. */
  private static String biggestShift(Map<String, Double> p, Map<String, Double> q) {
    String label = null;
    double shift = -1;
    for (String k : p.keySet()) {
      double d = Math.abs(p.get(k) - q.getOrDefault(k, 0.0));
      if (d > shift) {
        shift = d;
        label = k;
      }
    }
    return label == null
        ? "nothing"
        : String.format(Locale.ROOT, "at most %.2f (%s)", shift, label);
  }

  private static double ratio(int part, int whole) {
    return whole == 0 ? 0 : part / (double) whole;
  }
}
