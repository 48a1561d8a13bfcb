package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.DataProblem;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dirty copy of the ticket-triage example with a seeded, known number of each problem: the data
 * review must count every kind on its own, name the rows, and never take a bad value as a label.
 */
class DirtyDatasetTest {
  private static final Path EXAMPLE = Path.of("../examples/ticket-triage/train.jsonl");
  private static final List<String> FIELDS = List.of("category", "priority");
  private static final Map<String, List<String>> VALUES =
      Map.of(
          "category", List.of("billing", "technical", "account", "shipping", "legal"),
          "priority", List.of("urgent", "high", "medium", "low"));
  private static final Map<String, String> TYPES =
      Map.of("category", "category", "priority", "category");

  @TempDir Path dir;

  /** Planted problems: kind -> how many rows. */
  private static final Map<String, Integer> PLANTED = new LinkedHashMap<>();

  static {
    PLANTED.put(DataProblem.EMPTY_OUTPUT, 8);
    PLANTED.put(DataProblem.MISSING_FIELD, 2);
    PLANTED.put(DataProblem.WRONG_TYPE, 3);
    PLANTED.put(DataProblem.VALUE_NOT_ALLOWED, 4);
    PLANTED.put(DataProblem.RARE_VALUE, 2);
    PLANTED.put(DataProblem.CONFLICTING_LABELS, 5);
    PLANTED.put(DataProblem.EXACT_DUPLICATE, 20);
    PLANTED.put(DataProblem.NEAR_DUPLICATE, 6);
  }

  @Test
  void everyPlantedProblemIsCountedOnItsOwnWithItsRows() throws Exception {
    ArtifactStore store = new ArtifactStore(dir);
    List<Row> clean = cleanBase();
    DataReport base = profile(store, clean);
    for (String kind : DataProblem.KINDS) {
      assertEquals(0, base.count(kind), kind + " in the cleaned example");
    }

    Random random = new Random(42);
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < clean.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, random);
    List<Row> dirty = new ArrayList<>(clean);
    Map<String, Set<Integer>> rowsOf = new TreeMap<>();
    int[] next = {0};
    // In place: a row changed where it is (its input occurs once, so no duplicate is made).
    UnaryOperator<JsonNode>[] empty =
        ops(o -> obj(), o -> obj().put("category", "").put("priority", ""));
    plantInPlace(dirty, order, next, rowsOf, DataProblem.EMPTY_OUTPUT, 8, empty);
    plantInPlace(
        dirty,
        order,
        next,
        rowsOf,
        DataProblem.MISSING_FIELD,
        2,
        ops(o -> obj().put("category", o.get("category").asText()), o -> with(o, "priority", "")));
    plantInPlace(
        dirty,
        order,
        next,
        rowsOf,
        DataProblem.WRONG_TYPE,
        3,
        ops(
            o -> ((ObjectNode) o.deepCopy()).put("category", 5),
            o -> ((ObjectNode) o.deepCopy()).put("priority", true),
            o -> {
              ObjectNode c = o.deepCopy();
              c.putArray("category").add("billing");
              return c;
            }));
    plantInPlace(
        dirty,
        order,
        next,
        rowsOf,
        DataProblem.VALUE_NOT_ALLOWED,
        4,
        ops(
            o -> with(o, "category", "ecstatic"),
            o -> with(o, "category", "ecstatic"),
            o -> with(o, "category", "Billing "),
            o -> with(o, "priority", "asap")));
    plantInPlace(
        dirty,
        order,
        next,
        rowsOf,
        DataProblem.RARE_VALUE,
        2,
        ops(o -> with(o, "category", "legal")));
    // Appended: copies of other rows, each of a row left as it was.
    append(
        dirty,
        order,
        next,
        rowsOf,
        DataProblem.CONFLICTING_LABELS,
        5,
        r -> new Row(r.input(), with(r.output(), "category", otherCategory(r.output()))));
    append(dirty, order, next, rowsOf, DataProblem.EXACT_DUPLICATE, 20, r -> r);
    List<UnaryOperator<String>> variants =
        List.of(
            s -> s.toUpperCase(Locale.ROOT),
            s -> s.replace(" ", "  "),
            s -> s + "!!",
            s -> "  " + s.toLowerCase(Locale.ROOT),
            s -> s + " ?",
            s -> "\"" + s + "\"");
    int[] v = {0};
    append(
        dirty,
        order,
        next,
        rowsOf,
        DataProblem.NEAR_DUPLICATE,
        6,
        r -> new Row(variants.get(v[0]++ % variants.size()).apply(r.input()), r.output()));

    DataReport r = profile(store, dirty);

    assertEquals(dirty.size(), r.rows(), "no row dropped");
    for (Map.Entry<String, Integer> p : PLANTED.entrySet()) {
      assertEquals(p.getValue(), r.count(p.getKey()), p.getKey());
      List<Integer> expected =
          new ArrayList<>(rowsOf.get(p.getKey())).subList(0, Math.min(10, p.getValue()));
      DataProblem found =
          r.problems().stream().filter(x -> x.kind().equals(p.getKey())).findFirst().orElseThrow();
      assertEquals(expected, found.exampleRows(), p.getKey() + " rows");
    }
    assertEquals(8, r.emptyOutputs(), "empty outputs alone, not with missing fields");
    assertEquals(5 + 20 + 6, r.duplicateRows(), "every repeated input, as before");

    JsonNode json = Rows.JSON.readTree(Files.readString(Path.of(r.json().path())));
    assertEquals(
        Set.of("", "account", "billing", "legal", "shipping", "technical"),
        names(json.at("/labels/category")),
        "a number, an array and values outside the set are not labels");
    assertEquals(
        Set.of("", "high", "low", "medium", "urgent"),
        names(json.at("/labels/priority")),
        "true and asap are not labels");
    assertEquals(2, json.at("/labels/category/legal").asInt());
    String md = Files.readString(Path.of(r.markdown().path()));
    assertTrue(md.contains("| value not allowed | 4 |"), md);
    assertTrue(md.contains("- category = `ecstatic`: value not allowed, 2 row(s)"), md);
    assertTrue(md.contains("- category = `5`: wrong type, 1 row(s)"), md);
  }

  @Test
  void answersThatBreakTheAnswerSchemaAreCountedWithWhatTheValidatorSaid() throws Exception {
    ArtifactStore store = new ArtifactStore(dir);
    Path schema =
        Files.writeString(
            dir.resolve("answer.schema.json"),
            "{\"type\": \"object\", \"required\": [\"category\", \"priority\"],"
                + " \"properties\": {\"priority\": {\"enum\": [\"low\", \"high\"]}}}");
    List<Row> rows =
        List.of(
            new Row("a", obj().put("category", "billing").put("priority", "low")),
            new Row("b", obj().put("category", "billing").put("priority", "mid")),
            new Row("c", obj().put("category", "billing")),
            new Row("d", obj()),
            new Row("e", obj().put("category", "billing").put("priority", "high")));
    DatasetRef data = Rows.write(store, "train", rows);
    SplitResult split = new SplitResult(data, data, 0, 0, Map.of());
    ArtifactRef predictions =
        store.writeLines("predictions", "jsonl", () -> List.<String>of().iterator());
    EvalResult baseline =
        new EvalResult("m", "test", 0, 0, Map.of("exact_match", 0.5), predictions);

    DataReport r =
        new DataProfiler(store)
            .profile(
                new ProfileRequest(
                    data,
                    split,
                    FIELDS,
                    baseline,
                    "exact_match",
                    0.9,
                    TYPES,
                    null,
                    schema.toString()));

    DataProblem found =
        r.problems().stream()
            .filter(p -> p.kind().equals(DataProblem.SCHEMA_VIOLATION))
            .findFirst()
            .orElseThrow();
    assertEquals(List.of(2, 3), found.exampleRows(), "an empty answer is counted as empty only");
    assertEquals(1, r.count(DataProblem.EMPTY_OUTPUT));
    assertEquals(1, r.count(DataProblem.MISSING_FIELD));
    JsonNode json = Rows.JSON.readTree(Files.readString(Path.of(r.json().path())));
    assertEquals(2, json.get("schemaViolations").size(), json.toString());
    String md = Files.readString(Path.of(r.markdown().path()));
    assertTrue(md.contains("| answer not meeting answerSchema | 2 | 2, 3 |"), md);
  }

  /** The example without the problems it has (labels with stray spaces, blanks, repeats). */
  private static List<Row> cleanBase() throws Exception {
    List<Row> rows = new ArrayList<>();
    Set<String> inputs = new HashSet<>();
    for (String line : Files.readAllLines(EXAMPLE)) {
      JsonNode node = Rows.JSON.readTree(line);
      JsonNode out = node.get("output");
      boolean valid =
          FIELDS.stream().allMatch(f -> VALUES.get(f).contains(out.path(f).asText("-")));
      if (valid && inputs.add(Rows.normalize(node.get("input").asText()))) {
        rows.add(new Row(node.get("input").asText(), out));
      }
    }
    assertTrue(rows.size() > 2500, "most of the example is clean: " + rows.size());
    return rows;
  }

  @SafeVarargs
  private static UnaryOperator<JsonNode>[] ops(UnaryOperator<JsonNode>... ops) {
    return ops;
  }

  private static void plantInPlace(
      List<Row> dirty,
      List<Integer> order,
      int[] next,
      Map<String, Set<Integer>> rowsOf,
      String kind,
      int n,
      UnaryOperator<JsonNode>[] ops) {
    for (int i = 0; i < n; i++) {
      int at = order.get(next[0]++);
      Row r = dirty.get(at);
      dirty.set(at, new Row(r.input(), ops[i % ops.length].apply(r.output())));
      rowsOf.computeIfAbsent(kind, k -> new TreeSet<>()).add(at + 1);
    }
  }

  private static void append(
      List<Row> dirty,
      List<Integer> order,
      int[] next,
      Map<String, Set<Integer>> rowsOf,
      String kind,
      int n,
      UnaryOperator<Row> copy) {
    for (int i = 0; i < n; i++) {
      dirty.add(copy.apply(dirty.get(order.get(next[0]++))));
      rowsOf.computeIfAbsent(kind, k -> new TreeSet<>()).add(dirty.size());
    }
  }

  private static ObjectNode obj() {
    return Rows.JSON.createObjectNode();
  }

  private static JsonNode with(JsonNode o, String field, String value) {
    return ((ObjectNode) o.deepCopy()).put(field, value);
  }

  private static String otherCategory(JsonNode o) {
    return o.get("category").asText().equals("billing") ? "technical" : "billing";
  }

  private static Set<String> names(JsonNode object) {
    Set<String> out = new TreeSet<>();
    object.fieldNames().forEachRemaining(out::add);
    return out;
  }

  private static DataReport profile(ArtifactStore store, List<Row> rows) {
    DatasetRef data = Rows.write(store, "train", rows);
    SplitResult split = new SplitResult(data, data, 0, 0, Map.of());
    ArtifactRef predictions =
        store.writeLines("predictions", "jsonl", () -> List.<String>of().iterator());
    EvalResult baseline =
        new EvalResult("m", "test", 0, 0, Map.of("exact_match", 0.5), predictions);
    return new DataProfiler(store)
        .profile(
            new ProfileRequest(data, split, FIELDS, baseline, "exact_match", 0.9, TYPES, VALUES));
  }
}
