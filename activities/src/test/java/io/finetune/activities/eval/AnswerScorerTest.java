package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.workflows.spec.FieldType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnswerScorerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double EPS = 1e-9;

  private static Row row(String category, String priority) {
    ObjectNode out = JSON.createObjectNode().put("category", category).put("priority", priority);
    return new Row("ticket", out);
  }

  /**
   * Five labeled rows and one unlabeled, with these outcomes (TP/FP/FN per label):
   *
   * <pre>
   * row  expected        answer                     category               priority
   * 1    billing, high   billing, high              TP billing             TP high
   * 2    billing, low    billing, high              TP billing             FN low, FP high
   * 3    bug, low        billing, low               FN bug, FP billing     TP low
   * 4    bug, high       not JSON                   FN bug (missing)       FN high (missing)
   * 5    bug, low        {"category":"bug"}         TP bug                 FN low (missing)
   * 6    (unlabeled)     bug, low                   -                      -
   * </pre>
   *
   * category: billing TP 2 FP 1 FN 0 (P 2/3, R 1, F1 0.8); bug TP 1 FP 0 FN 2 (P 1, R 1/3, F1 0.5).
   * priority: high TP 1 FP 1 FN 1 (P 1/2, R 1/2, F1 0.5); low TP 1 FP 0 FN 2 (F1 0.5).
   */
  private static AnswerScorer scoreTickets() {
    AnswerScorer s = new AnswerScorer(List.of("category", "priority"));
    s.add(row("billing", "high"), "{\"category\":\"billing\",\"priority\":\"high\"}");
    s.add(row("billing", "low"), "{\"category\":\"billing\",\"priority\":\"high\"}");
    s.add(row("bug", "low"), "{\"category\":\"billing\",\"priority\":\"low\"}");
    s.add(row("bug", "high"), "not JSON");
    s.add(row("bug", "low"), "{\"category\":\"bug\"}");
    s.add(new Row("ticket", null), "{\"category\":\"bug\",\"priority\":\"low\"}");
    return s;
  }

  @Test
  void metricsCountMissesAndWrongLabels() {
    AnswerScorer s = scoreTickets();
    Map<String, Double> m = s.metrics();

    assertEquals(5, s.scored());
    assertEquals(0.2, m.get("exact_match"), EPS);
    assertEquals(0.6, m.get("field:category"), EPS);
    assertEquals(0.4, m.get("field:priority"), EPS);
    assertEquals(0.4, m.get("invalid_output_rate"), EPS); // rows 4 and 5
    assertEquals(4.0 / 6, m.get("json_valid"), EPS); // rows 1, 2, 3 and the unlabeled one
    assertEquals((0.8 + 0.5) / 2, m.get("macro_f1:category"), EPS);
    assertEquals(0.5, m.get("macro_f1:priority"), EPS);
    // A handful of keys, whatever the number of labels: the CLI prints each as a column.
    assertEquals(7, m.size());
  }

  @Test
  void labelReportHasEveryLabelMostFrequentFirst() {
    JsonNode report = scoreTickets().labelReport();

    assertEquals(5, report.get("scoredRows").asInt());
    JsonNode category = report.at("/fields/category");
    assertEquals(0.6, category.get("accuracy").asDouble(), EPS);
    assertEquals(0.65, category.get("macroF1").asDouble(), EPS);
    assertEquals(1, category.get("missing").asInt());
    JsonNode bug = category.get("labels").get(0);
    assertEquals("bug", bug.get("label").asText());
    assertEquals(3, bug.get("support").asInt());
    assertEquals(1, bug.get("predicted").asInt());
    assertEquals(1.0, bug.get("precision").asDouble(), EPS);
    assertEquals(1.0 / 3, bug.get("recall").asDouble(), EPS);
    assertEquals(0.5, bug.get("f1").asDouble(), EPS);
    JsonNode billing = category.get("labels").get(1);
    assertEquals("billing", billing.get("label").asText());
    assertEquals(2, billing.get("support").asInt());
    assertEquals(3, billing.get("predicted").asInt());
    assertEquals(2.0 / 3, billing.get("precision").asDouble(), EPS);
    assertEquals(1.0, billing.get("recall").asDouble(), EPS);
    assertEquals(0.8, billing.get("f1").asDouble(), EPS);
    assertEquals(2, category.get("labels").size());

    JsonNode priority = report.at("/fields/priority");
    assertEquals(2, priority.get("missing").asInt()); // rows 4 and 5
    JsonNode high = priority.get("labels").get(1);
    assertEquals("high", high.get("label").asText());
    assertEquals(2, high.get("support").asInt());
    assertEquals(0.5, high.get("precision").asDouble(), EPS);
    assertEquals(0.5, high.get("recall").asDouble(), EPS);
  }

  @Test
  void aLabelOnlyEverPredictedLowersMacroF1() {
    AnswerScorer s = new AnswerScorer(List.of("category"));
    ObjectNode a = JSON.createObjectNode().put("category", "a");
    s.add(new Row("x", a), "{\"category\":\"a\"}");
    s.add(new Row("y", a), "{\"category\":\"made-up\"}");

    // a: P 1, R 1/2, F1 2/3; made-up: support 0, P 0, F1 0.
    assertEquals(1.0 / 3, s.metrics().get("macro_f1:category"), EPS);
    JsonNode madeUp = s.labelReport().at("/fields/category/labels/1");
    assertEquals("made-up", madeUp.get("label").asText());
    assertEquals(0, madeUp.get("support").asInt());
    assertEquals(1, madeUp.get("predicted").asInt());
    assertEquals(0.0, madeUp.get("recall").asDouble(), EPS); // 0, not NaN, with no support
  }

  @Test
  void predictionLineFlagsTheInvalidAnswer() {
    AnswerScorer s = new AnswerScorer(List.of("category", "priority"));
    ObjectNode line = s.add(row("bug", "low"), "{\"category\":\"bug\"}");

    assertFalse(line.get("valid").asBoolean());
    assertTrue(line.at("/fields/category").asBoolean());
    assertFalse(line.at("/fields/priority").asBoolean());
    assertFalse(line.get("exact").asBoolean());
  }

  @Test
  void nothingScoredGivesZerosNotNaN() {
    Map<String, Double> m = new AnswerScorer(List.of("category")).metrics();

    assertEquals(0.0, m.get("json_valid"));
    assertEquals(0.0, m.get("macro_f1:category"));
  }

  @Test
  void fieldsAreComparedAsTheirTypesSay_andOnlyCategoriesHaveLabels() {
    AnswerScorer s =
        new AnswerScorer(
            new java.util.LinkedHashMap<>(
                Map.of(
                    "caller", FieldType.TEXT,
                    "due", FieldType.DATE,
                    "amount", FieldType.NUMBER,
                    "reason", FieldType.CATEGORY)));
    ObjectNode expected =
        JSON.createObjectNode()
            .put("caller", "Dana O'Neil")
            .put("due", "2024-03-05")
            .put("amount", 12.5)
            .put("reason", "billing");
    Row row = new Row("call", expected);
    s.add(
        row,
        "{\"caller\":\" dana  o'neil.\",\"due\":\"2024-03-05\",\"amount\":\"12.50\","
            + "\"reason\":\"billing\"}");
    s.add(
        row,
        "{\"caller\":\"Dana\",\"due\":\"2023-03-05\",\"amount\":12.49,\"reason\":\"Billing\"}");

    Map<String, Double> m = s.metrics();
    assertEquals(0.5, m.get("exact_match"), EPS);
    assertEquals(0.5, m.get("field:caller"), EPS);
    assertEquals(0.5, m.get("field:due"), EPS);
    assertEquals(0.5, m.get("field:amount"), EPS);
    assertEquals(0.5, m.get("field:reason"), EPS, "a category is compared exactly: case counts");
    assertEquals(
        List.of("macro_f1:reason"),
        m.keySet().stream().filter(k -> k.startsWith("macro")).toList());
    JsonNode report = s.labelReport().get("fields");
    assertEquals("date", report.get("due").get("type").asText());
    assertFalse(report.get("due").has("labels"));
    assertTrue(report.get("reason").has("labels"));
  }
}
