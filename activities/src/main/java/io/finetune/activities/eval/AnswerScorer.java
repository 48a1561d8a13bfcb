package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.workflows.common.Scores;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Field-level and exact-match scoring of JSON answers against labeled rows. */
final class AnswerScorer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<String> fields;
  private int scored;
  private int exact;
  private int invalid;
  private final Map<String, Integer> fieldHits = new LinkedHashMap<>();

  AnswerScorer(List<String> fields) {
    this.fields = fields;
    fields.forEach(f -> fieldHits.put(f, 0));
  }

  /** Scores one answer and returns the prediction line to store. */
  ObjectNode add(Row row, String answer) {
    ObjectNode line = JSON.createObjectNode();
    line.put("input", row.input());
    line.set("expected", row.output());
    line.put("answer", answer);
    JsonNode parsed = parse(answer);
    boolean valid = parsed != null && parsed.isObject() && fields.stream().allMatch(parsed::has);
    line.put("valid", valid);
    line.put("scored", row.labeled());
    if (!row.labeled()) {
      return line;
    }
    scored++;
    if (!valid) {
      invalid++;
    }
    boolean all = true;
    ObjectNode perField = line.putObject("fields");
    for (String f : fields) {
      JsonNode v = parsed == null ? null : parsed.get(f);
      String got = v == null || v.isNull() ? null : v.isTextual() ? v.asText() : v.toString();
      boolean hit = got != null && got.equals(row.value(f));
      perField.put(f, hit);
      if (hit) {
        fieldHits.merge(f, 1, Integer::sum);
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

  Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    double n = Math.max(1, scored);
    m.put(Scores.EXACT_MATCH, exact / n);
    fieldHits.forEach((f, hits) -> m.put(Scores.FIELD_PREFIX + f, hits / n));
    m.put(Scores.INVALID_OUTPUT_RATE, invalid / n);
    return m;
  }

  private static JsonNode parse(String answer) {
    try {
      return answer == null ? null : JSON.readTree(answer);
    } catch (IOException e) {
      return null;
    }
  }
}
