package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fields.AnswerSchema;
import io.finetune.activities.fields.FieldValues;
import io.finetune.workflows.dataset.DatasetActivities.DataProblem;
import io.finetune.workflows.spec.FieldType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Row by row, what is wrong with a dataset's labels, each kind of problem counted on its own (see
 * {@link DataProblem} for the kinds): nothing is dropped or fixed here, the rows are only named.
 *
 * <p>A category value is rare when fewer than {@link #RARE_MIN_ROWS} rows carry it, or fewer than
 * {@link #RARE_SHARE} of the rows with a valid value in that field: too few examples to learn from,
 * and often a typo or a label that should be merged.
 */
final class DataChecks {
  static final int RARE_MIN_ROWS = 3;
  static final double RARE_SHARE = 0.005;
  static final int EXAMPLE_ROWS = 10;

  /** A value of a field that is of the wrong type or not allowed, and on how many rows. */
  record BadValue(String kind, String field, String value, int rows) {}

  /** A category value with too few rows to learn from. */
  record RareValue(String field, String value, int rows) {}

  /** What the answer schema's validator said, and of how many rows. */
  record SchemaMessage(String message, int rows) {}

  /**
   * {@code labels}: per category field, the rows of each valid value ("" for rows without one);
   * values of the wrong type or not allowed are in {@code badValues} instead, never new labels.
   */
  record Result(
      List<DataProblem> problems,
      Map<String, Map<String, Integer>> labels,
      List<BadValue> badValues,
      List<RareValue> rareValues,
      List<SchemaMessage> schemaMessages,
      Map<String, List<Integer>> rowsByKind) {

    /**
     * The same result with row numbers {@code n} replaced by {@code ids[n - 1]}: a corrected
     * version of a dataset names its rows by their number in the dataset as imported.
     */
    Result renumbered(int[] ids) {
      List<DataProblem> renumberedProblems = new ArrayList<>();
      for (DataProblem p : problems) {
        renumberedProblems.add(
            new DataProblem(
                p.kind(), p.rows(), p.exampleRows().stream().map(n -> ids[n - 1]).toList()));
      }
      Map<String, List<Integer>> byKind = new LinkedHashMap<>();
      rowsByKind.forEach((k, rows) -> byKind.put(k, rows.stream().map(n -> ids[n - 1]).toList()));
      return new Result(renumberedProblems, labels, badValues, rareValues, schemaMessages, byKind);
    }

    int count(String kind) {
      return problems.stream()
          .filter(p -> p.kind().equals(kind))
          .mapToInt(DataProblem::rows)
          .findFirst()
          .orElse(0);
    }
  }

  private enum Verdict {
    OK,
    MISSING,
    WRONG_TYPE,
    NOT_ALLOWED
  }

  private DataChecks() {}

  static Result check(
      List<Row> rows,
      List<String> fields,
      Map<String, FieldType> types,
      Map<String, List<String>> allowed,
      AnswerSchema schema) {
    Map<String, List<Integer>> byKind = new LinkedHashMap<>();
    // Without a schema nothing was checked against one: no count, rather than a reassuring 0.
    DataProblem.KINDS.stream()
        .filter(k -> schema != null || !k.equals(DataProblem.SCHEMA_VIOLATION))
        .forEach(k -> byKind.put(k, new ArrayList<>()));
    Map<String, JsonNodeType> usualKind = usualKinds(rows, fields);
    Map<String, Map<String, Integer>> labels = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> bad = new TreeMap<>();
    Map<String, Integer> schemaMessages = new TreeMap<>();
    for (String f : fields) {
      if (types.get(f) == FieldType.CATEGORY) {
        labels.put(f, new TreeMap<>());
      }
    }
    for (int i = 0; i < rows.size(); i++) {
      int rowNo = i + 1;
      Row row = rows.get(i);
      JsonNode out = row.output();
      if (out == null || (out.isTextual() && out.asText().isBlank())) {
        byKind.get(DataProblem.EMPTY_OUTPUT).add(rowNo);
        continue;
      }
      if (!out.isObject()) {
        checkSchema(schema, out, rowNo, byKind, schemaMessages);
        continue; // a text answer with something in it: nothing more to check
      }
      int missing = 0;
      boolean wrongType = false;
      boolean notAllowed = false;
      for (String f : fields) {
        JsonNode v = out.get(f);
        Verdict verdict =
            verdict(v, types.get(f), allowed.getOrDefault(f, List.of()), usualKind.get(f));
        Map<String, Integer> counts = labels.get(f);
        switch (verdict) {
          case MISSING -> {
            missing++;
            if (counts != null) {
              counts.merge("", 1, Integer::sum);
            }
          }
          case WRONG_TYPE -> {
            wrongType = true;
            bad.computeIfAbsent(DataProblem.WRONG_TYPE + "\u0000" + f, k -> new TreeMap<>())
                .merge(v.toString(), 1, Integer::sum);
          }
          case NOT_ALLOWED -> {
            notAllowed = true;
            bad.computeIfAbsent(DataProblem.VALUE_NOT_ALLOWED + "\u0000" + f, k -> new TreeMap<>())
                .merge(v.asText(), 1, Integer::sum);
          }
          case OK -> {
            if (counts != null) {
              counts.merge(v.asText(), 1, Integer::sum);
            }
          }
        }
      }
      if (!fields.isEmpty() && missing == fields.size()) {
        byKind.get(DataProblem.EMPTY_OUTPUT).add(rowNo);
        continue; // nothing to check against the schema: empty is the one problem
      }
      if (missing > 0) {
        byKind.get(DataProblem.MISSING_FIELD).add(rowNo);
      }
      checkSchema(schema, out, rowNo, byKind, schemaMessages);
      if (wrongType) {
        byKind.get(DataProblem.WRONG_TYPE).add(rowNo);
      }
      if (notAllowed) {
        byKind.get(DataProblem.VALUE_NOT_ALLOWED).add(rowNo);
      }
    }
    List<RareValue> rare = rareValues(labels);
    byKind.get(DataProblem.RARE_VALUE).addAll(rareRows(rows, rare));
    duplicates(rows, byKind);

    List<DataProblem> problems = new ArrayList<>();
    byKind.forEach(
        (kind, rowNos) ->
            problems.add(
                new DataProblem(
                    kind,
                    rowNos.size(),
                    rowNos.subList(0, Math.min(EXAMPLE_ROWS, rowNos.size())))));
    List<BadValue> badValues = new ArrayList<>();
    bad.forEach(
        (key, values) -> {
          String[] kindField = key.split("\u0000", 2);
          values.forEach(
              (value, n) -> badValues.add(new BadValue(kindField[0], kindField[1], value, n)));
        });
    List<SchemaMessage> messages = new ArrayList<>();
    schemaMessages.forEach((m, n) -> messages.add(new SchemaMessage(m, n)));
    return new Result(problems, labels, badValues, rare, messages, byKind);
  }

  /**
   * What a value is: missing (absent, null, blank), of the wrong type, outside the field's allowed
   * values, or fine. A category is a JSON string unless most of its values are of another JSON kind
   * (labels 1–5 written as numbers); a value the spec allows is always fine.
   */
  private static Verdict verdict(
      JsonNode v, FieldType type, List<String> allowed, JsonNodeType usual) {
    if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
      return Verdict.MISSING;
    }
    if (v.isContainerNode()) {
      return Verdict.WRONG_TYPE;
    }
    return switch (type) {
      case TEXT -> v.isTextual() ? Verdict.OK : Verdict.WRONG_TYPE;
      case DATE ->
          v.isTextual() && FieldValues.date(v.asText()) != null ? Verdict.OK : Verdict.WRONG_TYPE;
      case NUMBER ->
          v.isNumber() || (v.isTextual() && FieldValues.number(v.asText()) != null)
              ? Verdict.OK
              : Verdict.WRONG_TYPE;
      case CATEGORY -> {
        if (allowed.contains(v.asText())) {
          yield Verdict.OK;
        }
        JsonNodeType expected = usual == null ? JsonNodeType.STRING : usual;
        if (v.getNodeType() != expected) {
          yield Verdict.WRONG_TYPE;
        }
        yield allowed.isEmpty() ? Verdict.OK : Verdict.NOT_ALLOWED;
      }
    };
  }

  private static void checkSchema(
      AnswerSchema schema,
      JsonNode answer,
      int rowNo,
      Map<String, List<Integer>> byKind,
      Map<String, Integer> messages) {
    List<String> violations = schema == null ? List.of() : schema.problems(answer);
    if (!violations.isEmpty()) {
      byKind.get(DataProblem.SCHEMA_VIOLATION).add(rowNo);
      new TreeSet<>(violations).forEach(m -> messages.merge(m, 1, Integer::sum));
    }
  }

  /** Per field, the JSON kind most of its present values have (ties: string). */
  private static Map<String, JsonNodeType> usualKinds(List<Row> rows, List<String> fields) {
    Map<String, JsonNodeType> usual = new HashMap<>();
    for (String f : fields) {
      Map<JsonNodeType, Integer> kinds = new TreeMap<>();
      for (Row row : rows) {
        JsonNode v = row.output() != null && row.output().isObject() ? row.output().get(f) : null;
        if (v != null && v.isValueNode() && !v.isNull()) {
          kinds.merge(v.getNodeType(), 1, Integer::sum);
        }
      }
      int strings = kinds.getOrDefault(JsonNodeType.STRING, 0);
      JsonNodeType most = JsonNodeType.STRING;
      for (Map.Entry<JsonNodeType, Integer> k : kinds.entrySet()) {
        if (k.getValue() > strings && k.getValue() > kinds.getOrDefault(most, 0)) {
          most = k.getKey();
        }
      }
      usual.put(f, most);
    }
    return usual;
  }

  private static List<RareValue> rareValues(Map<String, Map<String, Integer>> labels) {
    List<RareValue> rare = new ArrayList<>();
    labels.forEach(
        (f, counts) -> {
          int valid =
              counts.entrySet().stream()
                  .filter(e -> !e.getKey().isEmpty())
                  .mapToInt(Map.Entry::getValue)
                  .sum();
          counts.forEach(
              (value, n) -> {
                if (!value.isEmpty() && (n < RARE_MIN_ROWS || n < RARE_SHARE * valid)) {
                  rare.add(new RareValue(f, value, n));
                }
              });
        });
    return rare;
  }

  private static List<Integer> rareRows(List<Row> rows, List<RareValue> rare) {
    List<Integer> out = new ArrayList<>();
    if (rare.isEmpty()) {
      return out;
    }
    for (int i = 0; i < rows.size(); i++) {
      JsonNode o = rows.get(i).output();
      if (o == null || !o.isObject()) {
        continue;
      }
      for (RareValue r : rare) {
        JsonNode v = o.get(r.field());
        // Only the valid value counted in the distribution, not e.g. a number with the same text.
        if (v != null && v.isValueNode() && !v.isNull() && v.asText().equals(r.value())) {
          out.add(i + 1);
          break;
        }
      }
    }
    return out;
  }

  private record Example(String input, JsonNode answer) {}

  /**
   * Rows whose normalized input occurs before: conflicting when the answer differs from the first
   * such row's, else an exact duplicate when the same input text came with the same answer before,
   * else a near duplicate (case, spaces or punctuation differ).
   */
  private static void duplicates(List<Row> rows, Map<String, List<Integer>> byKind) {
    Map<String, JsonNode> firstAnswer = new HashMap<>();
    Set<Example> seen = new HashSet<>();
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      String key = Rows.normalize(row.input());
      Example example = new Example(row.input(), row.output());
      boolean before = firstAnswer.containsKey(key);
      if (!before) {
        firstAnswer.put(key, row.output());
      } else if (!Objects.equals(firstAnswer.get(key), row.output())) {
        byKind.get(DataProblem.CONFLICTING_LABELS).add(i + 1);
      } else if (seen.contains(example)) {
        byKind.get(DataProblem.EXACT_DUPLICATE).add(i + 1);
      } else {
        byKind.get(DataProblem.NEAR_DUPLICATE).add(i + 1);
      }
      seen.add(example);
    }
  }
}
