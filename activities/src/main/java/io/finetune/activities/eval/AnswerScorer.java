package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fields.FieldValues;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.spec.FieldType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Field-level and exact-match scoring of JSON answers against labeled rows, each field compared as
 * its type says, plus per-label precision, recall and F1 of each category field.
 *
 * <p>Each distinct expected or predicted value of a field is a label. A field whose answer is
 * missing (no JSON, no such key, or null) is a false negative of the expected label and a false
 * positive of none; a wrong value is a false negative of the expected label and a false positive of
 * the predicted one. A field is judged on its own, as {@code field:<f>} accuracy is, so the true
 * positives of a field sum to its hits.
 */
final class AnswerScorer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<String> fields;
  private final Map<String, FieldType> types;
  private int answers;
  private int valid;
  private int scored;
  private int exact;
  private int invalid;
  private final Map<String, Integer> fieldHits = new LinkedHashMap<>();

  /** Per field, per label; labels sorted so that a retry writes the same report (same hash). */
  private final Map<String, Map<String, Counts>> labels = new LinkedHashMap<>();

  /** Per field, how many labeled rows had no answer for it. */
  private final Map<String, Integer> missing = new LinkedHashMap<>();

  /** Every field a category: compared exactly, with a per-label table. */
  AnswerScorer(List<String> fields) {
    this(categories(fields));
  }

  /**
   * Fields compared as their types say ({@link FieldValues#same}); only categories get per-label
   * precision, recall and F1 (a name or a date is not a label).
   */
  AnswerScorer(Map<String, FieldType> types) {
    this.types = new LinkedHashMap<>(types);
    this.fields = List.copyOf(types.keySet());
    fields.forEach(
        f -> {
          fieldHits.put(f, 0);
          if (types.get(f) == FieldType.CATEGORY) {
            labels.put(f, new TreeMap<>());
          }
          missing.put(f, 0);
        });
  }

  private static Map<String, FieldType> categories(List<String> fields) {
    Map<String, FieldType> types = new LinkedHashMap<>();
    fields.forEach(f -> types.put(f, FieldType.CATEGORY));
    return types;
  }

  /** Outcomes of one label of one field. */
  private static final class Counts {
    int truePositives;
    int falsePositives;
    int falseNegatives;

    int support() {
      return truePositives + falseNegatives;
    }

    double precision() {
      return ratio(truePositives, truePositives + falsePositives);
    }

    double recall() {
      return ratio(truePositives, support());
    }

    double f1() {
      double p = precision();
      double r = recall();
      return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
    }
  }

  /** Scores one answer and returns the prediction line to store. */
  ObjectNode add(Row row, String answer) {
    ObjectNode line = JSON.createObjectNode();
    line.put("input", row.input());
    line.set("expected", row.output());
    line.put("answer", answer);
    JsonNode parsed = parse(answer);
    boolean isValid = parsed != null && parsed.isObject() && fields.stream().allMatch(parsed::has);
    answers++;
    if (isValid) {
      valid++;
    }
    line.put("valid", isValid);
    line.put("scored", row.labeled());
    if (!row.labeled()) {
      return line;
    }
    scored++;
    if (!isValid) {
      invalid++;
    }
    boolean all = true;
    ObjectNode perField = line.putObject("fields");
    for (String f : fields) {
      JsonNode v = parsed == null ? null : parsed.get(f);
      String got = v == null || v.isNull() ? null : v.isTextual() ? v.asText() : v.toString();
      String want = row.value(f);
      boolean hit = FieldValues.same(types.get(f), want, got);
      perField.put(f, hit);
      if (hit) {
        fieldHits.merge(f, 1, Integer::sum);
      } else if (got == null) {
        missing.merge(f, 1, Integer::sum);
      }
      Map<String, Counts> byLabel = labels.get(f);
      if (byLabel != null && hit) {
        byLabel.computeIfAbsent(want, k -> new Counts()).truePositives++;
      } else if (byLabel != null) {
        byLabel.computeIfAbsent(want, k -> new Counts()).falseNegatives++;
        if (got != null) {
          byLabel.computeIfAbsent(got, k -> new Counts()).falsePositives++;
        }
      }
      all &= hit;
    }
    if (all) {
      exact++;
    }
    line.put("exact", all);
    return line;
  }

  int scored() {
    return scored;
  }

  /**
   * The few numbers that travel in the eval's result (and become CLI columns); the per-label table
   * is in {@link #labelReport()}.
   */
  Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    double n = Math.max(1, scored);
    m.put(Scores.EXACT_MATCH, exact / n);
    fieldHits.forEach((f, hits) -> m.put(Scores.FIELD_PREFIX + f, hits / n));
    m.put(Scores.INVALID_OUTPUT_RATE, invalid / n);
    // Validity needs no label, so it counts every answer, unlabeled rows too.
    m.put(Scores.JSON_VALID, ratio(valid, answers));
    labels.keySet().forEach(f -> m.put(Scores.MACRO_F1_PREFIX + f, macroF1(f)));
    return m;
  }

  /** Unweighted mean of the F1 of every label of a field; 0 when the field saw no label. */
  private double macroF1(String field) {
    return labels.get(field).values().stream().mapToDouble(Counts::f1).average().orElse(0.0);
  }

  /**
   * The per-label table of every field, most frequent expected label first:
   *
   * <pre>{@code
   * {"scoredRows": 40, "jsonValid": 0.9, "fields": {"category": {"accuracy": 0.8,
   *   "macroF1": 0.7, "missing": 4, "labels": [{"label": "billing", "support": 20,
   *   "predicted": 18, "precision": 0.9, "recall": 0.8, "f1": 0.85}, ...]}}}
   * }</pre>
   */
  ObjectNode labelReport() {
    ObjectNode report = JSON.createObjectNode();
    report.put("scoredRows", scored);
    report.put("jsonValid", ratio(valid, answers));
    ObjectNode byField = report.putObject("fields");
    for (String f : fields) {
      ObjectNode field = byField.putObject(f);
      field.put("type", types.get(f).id());
      field.put("accuracy", ratio(fieldHits.get(f), scored));
      field.put("missing", missing.get(f));
      if (!labels.containsKey(f)) {
        continue;
      }
      field.put("macroF1", macroF1(f));
      List<Map.Entry<String, Counts>> rows = new ArrayList<>(labels.get(f).entrySet());
      // Stable: the TreeMap gives label order among equal supports.
      rows.sort(Comparator.comparingInt(e -> -e.getValue().support()));
      ArrayNode table = field.putArray("labels");
      for (Map.Entry<String, Counts> e : rows) {
        Counts c = e.getValue();
        table
            .addObject()
            .put("label", e.getKey())
            .put("support", c.support())
            .put("predicted", c.truePositives + c.falsePositives)
            .put("precision", c.precision())
            .put("recall", c.recall())
            .put("f1", c.f1());
      }
    }
    return report;
  }

  /** A share that is 0 rather than NaN when there is nothing to divide. */
  private static double ratio(int part, int whole) {
    return whole == 0 ? 0.0 : (double) part / whole;
  }

  private static JsonNode parse(String answer) {
    try {
      return answer == null ? null : JSON.readTree(answer);
    } catch (IOException e) {
      return null;
    }
  }
}
