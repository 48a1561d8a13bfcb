package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fields.AnswerSchema;
import io.finetune.activities.fields.FieldValues;
import io.finetune.workflows.dataset.DatasetActivities.DataProblem;
import io.finetune.workflows.spec.FieldType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  private final List<String> fields;
  private final Map<String, FieldType> types;
  private final Map<String, List<String>> allowed;
  private final AnswerSchema schema;
  private final Map<String, JsonNodeType> usualKind;
  private final Map<String, List<Integer>> byKind = new LinkedHashMap<>();
  private final Map<String, Map<String, Integer>> labels = new LinkedHashMap<>();
  private final Map<String, Map<String, Integer>> bad = new TreeMap<>();
  private final Map<String, Integer> schemaMessages = new TreeMap<>();

  /**
   * Checks rows one at a time ({@link #add}), then the rows with rare values ({@link #addRare},
   * once {@link #rareValues} are known) and the repeated inputs ({@link #duplicates}): a dataset of
   * any size in a few streamed passes. {@code usualKind}: per field, the JSON kind most of its
   * values have ({@link UsualKinds}, a pass before).
   */
  DataChecks(
      List<String> fields,
      Map<String, FieldType> types,
      Map<String, List<String>> allowed,
      AnswerSchema schema,
      Map<String, JsonNodeType> usualKind) {
    this.fields = fields;
    this.types = types;
    this.allowed = allowed;
    this.schema = schema;
    this.usualKind = usualKind;
    // Without a schema nothing was checked against one: no count, rather than a reassuring 0.
    DataProblem.KINDS.stream()
        .filter(k -> schema != null || !k.equals(DataProblem.SCHEMA_VIOLATION))
        .forEach(k -> byKind.put(k, new ArrayList<>()));
    for (String f : fields) {
      if (types.get(f) == FieldType.CATEGORY) {
        labels.put(f, new TreeMap<>());
      }
    }
  }

  /** The checks of one row, {@code rowNo} its number in the dataset. */
  void add(int rowNo, Row row) {
    JsonNode out = row.output();
    if (out == null || (out.isTextual() && out.asText().isBlank())) {
      byKind.get(DataProblem.EMPTY_OUTPUT).add(rowNo);
      return;
    }
    if (!out.isObject()) {
      checkSchema(schema, out, rowNo, byKind, schemaMessages);
      return; // a text answer with something in it: nothing more to check
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
      return; // nothing to check against the schema: empty is the one problem
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

  /** The category values too rare to learn from; known once every row was added. */
  List<RareValue> rareValues() {
    return rareValues(labels);
  }

  /** Whether the row carries one of {@code rare} (and if so, counts it). */
  boolean addRare(int rowNo, Row row, List<RareValue> rare) {
    JsonNode o = row.output();
    if (rare.isEmpty() || o == null || !o.isObject()) {
      return false;
    }
    for (RareValue r : rare) {
      JsonNode v = o.get(r.field());
      // Only the valid value counted in the distribution, not e.g. a number with the same text.
      if (v != null && v.isValueNode() && !v.isNull() && v.asText().equals(r.value())) {
        byKind.get(DataProblem.RARE_VALUE).add(rowNo);
        return true;
      }
    }
    return false;
  }

  /** The repeated inputs' rows, by kind ({@link RepeatedInputs}). */
  void duplicates(Map<String, List<Integer>> repeated) {
    repeated.forEach((kind, rows) -> byKind.get(kind).addAll(rows));
  }

  Result result(List<RareValue> rare) {
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

  /** Per field, the JSON kind most of its present values have (ties: string), row by row. */
  static final class UsualKinds {
    private final List<String> fields;
    private final Map<String, Map<JsonNodeType, Integer>> kinds = new HashMap<>();

    UsualKinds(List<String> fields) {
      this.fields = fields;
      fields.forEach(f -> kinds.put(f, new TreeMap<>()));
    }

    void add(Row row) {
      if (row.output() == null || !row.output().isObject()) {
        return;
      }
      for (String f : fields) {
        JsonNode v = row.output().get(f);
        if (v != null && v.isValueNode() && !v.isNull()) {
          kinds.get(f).merge(v.getNodeType(), 1, Integer::sum);
        }
      }
    }

    Map<String, JsonNodeType> result() {
      Map<String, JsonNodeType> usual = new HashMap<>();
      kinds.forEach(
          (f, counts) -> {
            int strings = counts.getOrDefault(JsonNodeType.STRING, 0);
            JsonNodeType most = JsonNodeType.STRING;
            for (Map.Entry<JsonNodeType, Integer> k : counts.entrySet()) {
              if (k.getValue() > strings && k.getValue() > counts.getOrDefault(most, 0)) {
                most = k.getKey();
              }
            }
            usual.put(f, most);
          });
      return usual;
    }
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

  /**
   * Rows whose normalized input occurs before: conflicting when the answer differs from the first
   * such row's, else an exact duplicate when the same input text came with the same answer before,
   * else a near duplicate (case, spaces or punctuation differ). Each row goes to disk as a few
   * hashes ({@link HashSpill}), grouped by input afterwards: memory does not grow with the data.
   * Also counts the rows whose input occurs before and the inputs with more than one answer.
   */
  static final class RepeatedInputs implements AutoCloseable {
    private final HashSpill spill;

    /** {@code scratch}: where the spill goes (null: the system's temporary folder). */
    RepeatedInputs(Path scratch) {
      spill =
          new HashSpill(
              scratch != null ? scratch : Path.of(System.getProperty("java.io.tmpdir")), 4);
    }

    void add(int rowNo, Row row) {
      spill.add(
          HashSpill.hash(Rows.normalize(row.input())),
          rowNo,
          HashSpill.hash(canonical(row.output())),
          HashSpill.hash(row.input()));
    }

    /** An answer as text with every object's keys in order: equal answers, equal texts. */
    private static String canonical(JsonNode n) {
      if (n == null) {
        return "null";
      }
      if (n.isObject()) {
        TreeMap<String, String> fields = new TreeMap<>();
        n.fields().forEachRemaining(e -> fields.put(e.getKey(), canonical(e.getValue())));
        StringBuilder sb = new StringBuilder("{");
        fields.forEach((k, v) -> sb.append(Rows.json(k)).append(':').append(v).append(','));
        return sb.append('}').toString();
      }
      if (n.isArray()) {
        StringBuilder sb = new StringBuilder("[");
        n.forEach(x -> sb.append(canonical(x)).append(','));
        return sb.append(']').toString();
      }
      return n.toString();
    }

    private int repeatedRows;
    private int conflictingInputs;

    /**
     * The repeated rows by kind, each list in row order; then {@link #rows}, {@link #conflicts}.
     */
    Map<String, List<Integer>> byKind() {
      Map<String, List<Integer>> out = new LinkedHashMap<>();
      out.put(DataProblem.CONFLICTING_LABELS, new ArrayList<>());
      out.put(DataProblem.EXACT_DUPLICATE, new ArrayList<>());
      out.put(DataProblem.NEAR_DUPLICATE, new ArrayList<>());
      spill.forEachPartition(
          sorted -> {
            int start = 0;
            while (start < sorted.length) {
              int end = start + 1;
              while (end < sorted.length && sorted[end][0] == sorted[start][0]) {
                end++;
              }
              // One input's rows, in row order: the first is the original.
              long firstAnswer = sorted[start][2];
              Set<Long> answers = new HashSet<>();
              Set<String> seen = new HashSet<>();
              for (int i = start; i < end; i++) {
                long[] r = sorted[i];
                answers.add(r[2]);
                String example = r[3] + ":" + r[2];
                if (i > start) {
                  repeatedRows++;
                  String kind =
                      r[2] != firstAnswer
                          ? DataProblem.CONFLICTING_LABELS
                          : seen.contains(example)
                              ? DataProblem.EXACT_DUPLICATE
                              : DataProblem.NEAR_DUPLICATE;
                  out.get(kind).add((int) r[1]);
                }
                seen.add(example);
              }
              if (answers.size() > 1) {
                conflictingInputs++;
              }
              start = end;
            }
          });
      out.values().forEach(list -> list.sort(null));
      return out;
    }

    /** Rows whose normalized input occurs before (after {@link #byKind}). */
    int rows() {
      return repeatedRows;
    }

    /** Inputs that occur with more than one answer (after {@link #byKind}). */
    int conflicts() {
      return conflictingInputs;
    }

    @Override
    public void close() {
      spill.close();
    }
  }
}
