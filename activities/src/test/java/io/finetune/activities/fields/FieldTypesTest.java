package io.finetune.activities.fields;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.workflows.spec.FieldType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldTypesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<Row> rows(int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(
          new Row(
              "x",
              JSON.createObjectNode()
                  .put("name", "Person " + i)
                  .put("due", String.format("2023-%02d-%02d", 1 + i % 12, 1 + i % 28))
                  .put("amount", i * 1.5)
                  .put("currency", i % 3 == 0 ? "EUR" : "USD")
                  .put("empty", "")));
    }
    return rows;
  }

  @Test
  void typesAreDetectedFromTheValues_andTheSpecWins() {
    List<String> fields = List.of("name", "due", "amount", "currency", "empty");
    Map<String, FieldType> detected = FieldTypes.resolve(fields, null, rows(100));
    assertEquals(
        Map.of(
            "name", FieldType.TEXT,
            "due", FieldType.DATE,
            "amount", FieldType.NUMBER,
            "currency", FieldType.CATEGORY,
            "empty", FieldType.CATEGORY),
        detected);
    assertEquals(
        FieldType.CATEGORY,
        FieldTypes.resolve(fields, Map.of("name", "category"), rows(100)).get("name"));
    // A handful of rows cannot show repetition: a few distinct names still read as labels.
    assertEquals(FieldType.CATEGORY, FieldTypes.detect("name", rows(5)));
  }

  @Test
  void valuesCompareByWhatTheyDenote() {
    assertTrue(FieldValues.same(FieldType.NUMBER, "12", "12.0"));
    assertFalse(FieldValues.same(FieldType.NUMBER, "12", "12.01"));
    assertTrue(FieldValues.same(FieldType.DATE, "2024-03-05", " 2024-03-05"));
    assertFalse(FieldValues.same(FieldType.DATE, "2024-03-05", "March 5, 2024"));
    assertTrue(FieldValues.same(FieldType.TEXT, "Anne-Marie O'Neil", "anne-marie  o'neil."));
    assertFalse(FieldValues.same(FieldType.CATEGORY, "billing", "Billing"));
    assertNull(FieldValues.date("2023-02-30"));
  }

  @Test
  void theDataReportSummarizesValuesThatAreNotLabels() {
    List<Row> rows = rows(30);
    assertEquals(
        "30 dates from 2023-01-01 to 2023-12-24, in year 2023",
        FieldSummary.of(FieldType.DATE, rows, "due"));
    assertEquals("30 numbers from 0.0 to 43.5", FieldSummary.of(FieldType.NUMBER, rows, "amount"));
    assertEquals(
        "30 values, 30 distinct, e.g. `Person 0`, `Person 1`, `Person 2`, `Person 3`, `Person 4`",
        FieldSummary.of(FieldType.TEXT, rows, "name"));
  }
}
