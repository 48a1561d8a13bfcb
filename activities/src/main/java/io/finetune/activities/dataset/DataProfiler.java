package io.finetune.activities.dataset;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fields.AnswerSchema;
import io.finetune.activities.fields.FieldSummary;
import io.finetune.activities.fields.FieldTypes;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.common.InvalidRows;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.dataset.DatasetActivities.DataProblem;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.spec.FieldType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The data report of the review checkpoint (rule 3): size, input lengths, label distributions,
 * labels that look like typos, each kind of problem counted on its own with its first rows ({@link
 * DataChecks}), rows removed by filters (always none: rule 4) and the rows the prompt baseline got
 * wrong, as JSON for tools and Markdown for people, and as a page with charts ({@link
 * HtmlDataReport}).
 */
final class DataProfiler {
  private static final int BASELINE_FAILURES_SHOWN = 25;
  private static final int LISTED_ROWS_SHOWN = 25;

  /** The JSON report, field for field and in this order. */
  record Report(
      String dataset,
      String sha256,
      int rows,
      int trainRows,
      int testRows,
      int rowsRemovedByFilters,
      InputLength inputLength,
      Map<String, String> fieldTypes,
      Map<String, Map<String, Integer>> labels,
      Map<String, String> values,
      List<SuspiciousLabel> suspiciousLabels,
      int duplicateRows,
      long conflictingDuplicateInputs,
      int emptyOutputs,
      int trainTestLeaks,
      Map<String, Integer> evalSetLeaks,
      List<JsonNode> baselineFailures,
      double baselineScore,
      int baselineFailureCount,
      List<String> warnings,
      List<DataProblem> problems,
      List<DataChecks.BadValue> badValues,
      List<DataChecks.RareValue> rareValues,
      List<DataChecks.SchemaMessage> schemaViolations,
      // Absent when no row was kept out, so that such reports read as before.
      @JsonInclude(JsonInclude.Include.NON_NULL) KeptOut keptOutOfTraining,
      // Absent unless dataset.invalidRows: review kept rows out, as for keptOutOfTraining.
      @JsonInclude(JsonInclude.Include.NON_NULL) Invalid invalidRows) {}

  /** The rows of the dataset file that could not be read: how many, their file, the first ones. */
  record Invalid(int rows, String file, List<InvalidRow> first) {}

  record InvalidRow(String file, int line, String reason) {}

  /**
   * Rows of the training data kept out of training because an eval set has their input: how many
   * (in all and per eval set), the file that lists them all, and the first ones.
   */
  record KeptOut(int rows, Map<String, Integer> byEvalSet, String file, List<KeptOutRow> first) {}

  record KeptOutRow(String input, List<String> evalSets) {}

  /** Input lengths in characters. */
  record InputLength(int min, int p50, int p90, int max) {}

  record SuspiciousLabel(String field, String value, int rows, String why) {}

  record Duplicates(int rows, long conflictingInputs) {}

  /** The test rows the prompt baseline got wrong: the first ones as the eval wrote them. */
  record BaselineFailures(List<JsonNode> first, int count) {}

  private final ArtifactStore store;

  DataProfiler(ArtifactStore store) {
    this.store = store;
  }

  DataReport profile(ProfileRequest r) {
    List<String> fields = r.outputFields();
    Map<String, List<String>> allowed = r.fieldValues() == null ? Map.of() : r.fieldValues();
    AnswerSchema schema = answerSchema(r.answerSchema());
    // Streamed in three passes, so that no stage holds the dataset: what needs every row first
    // (field types, each field's usual JSON kind, input lengths, repeated inputs to disk), then
    // each row's checks, then the rows with rare values and the flagged rows.
    FieldTypes.Detector detector = new FieldTypes.Detector(fields, r.fieldTypes());
    DataChecks.UsualKinds kinds = new DataChecks.UsualKinds(fields);
    TreeMap<Integer, Integer> lengths = new TreeMap<>();
    int rowCount = 0;
    try (DataChecks.RepeatedInputs repeated =
        new DataChecks.RepeatedInputs(store.root().resolve("work"))) {
      try (Rows.RowStream rows = Rows.each(store, r.data())) {
        for (Rows.Numbered x : rows) {
          detector.add(x.row());
          kinds.add(x.row());
          lengths.merge(x.row().input().length(), 1, Integer::sum);
          repeated.add(x.id(), x.row());
          rowCount++;
        }
      }
      Map<String, FieldType> types = detector.types();
      DataChecks checks = new DataChecks(fields, types, allowed, schema, kinds.result());
      Map<String, FieldSummary.Builder> summaries = new LinkedHashMap<>();
      fields.stream()
          .filter(f -> types.get(f) != FieldType.CATEGORY)
          .forEach(f -> summaries.put(f, new FieldSummary.Builder(types.get(f), f)));
      try (Rows.RowStream rows = Rows.each(store, r.data())) {
        for (Rows.Numbered x : rows) {
          checks.add(x.id(), x.row());
          summaries.values().forEach(b -> b.add(x.row()));
        }
      }
      checks.duplicates(repeated.byKind());
      List<DataChecks.RareValue> rare = checks.rareValues();
      Flagged flagged = flagged(r, checks, rare);
      return report(
          r,
          fields,
          types,
          checks.result(rare),
          summaries,
          new Duplicates(repeated.rows(), repeated.conflicts()),
          rowCount,
          lengths,
          flagged);
    }
  }

  private DataReport report(
      ProfileRequest r,
      List<String> fields,
      Map<String, FieldType> types,
      DataChecks.Result checks,
      Map<String, FieldSummary.Builder> summaries,
      Duplicates duplicates,
      int rowCount,
      SortedMap<Integer, Integer> lengths,
      Flagged flagged) {
    // Only categories have labels to count; a name or a date has new values in every row. Values
    // of the wrong type or not allowed are problems, never new labels.
    Map<String, Map<String, Integer>> labels = checks.labels();
    Map<String, String> values = new LinkedHashMap<>();
    summaries.forEach((f, b) -> values.put(f, b.summary()));
    List<SuspiciousLabel> suspicious = suspiciousLabels(labels);
    int suspiciousRows = suspicious.stream().mapToInt(SuspiciousLabel::rows).sum();
    int emptyOutputs = checks.count(DataProblem.EMPTY_OUTPUT);
    BaselineFailures baselineFailures = baselineFailures(r.baseline().predictions());
    double baselineScore = Scores.of(r.baseline().metrics(), r.targetMetric());
    List<String> warnings =
        warnings(r, baselineScore, checks, suspiciousRows, duplicates.conflictingInputs());
    Report report =
        new Report(
            r.data().path(),
            r.data().sha256(),
            rowCount,
            r.split().train().rows(),
            r.split().test().rows(),
            0, // rule 4: the pipeline never drops a row
            inputLength(lengths),
            typeIds(types),
            labels,
            values,
            suspicious,
            duplicates.rows(),
            duplicates.conflictingInputs(),
            emptyOutputs,
            r.split().trainTestLeaks(),
            r.split().evalSetLeaks(),
            baselineFailures.first(),
            baselineScore,
            baselineFailures.count(),
            warnings,
            checks.problems(),
            checks.badValues(),
            checks.rareValues(),
            checks.schemaMessages(),
            keptOut(r),
            invalid(r.data().invalidRows()));

    ArtifactRef json =
        store.write(
            "reports",
            "json",
            out -> Rows.JSON.writerWithDefaultPrettyPrinter().writeValue(out, report));
    ArtifactRef markdown =
        store.write(
            "reports",
            "md",
            out -> {
              Writer md = new OutputStreamWriter(out, StandardCharsets.UTF_8);
              md.write(markdown(report, fields));
              md.flush();
            });
    List<HtmlDataReport.Confusion> confusions =
        HtmlDataReport.confusions(store, r.baseline().predictions(), labels.keySet());
    ArtifactRef html =
        store.write(
            "reports",
            "html",
            out -> {
              Writer page = new OutputStreamWriter(out, StandardCharsets.UTF_8);
              page.write(
                  HtmlDataReport.render(
                      report,
                      fields,
                      new HtmlDataReport.Sample(lengths, flagged.examples()),
                      confusions));
              page.flush();
            });
    return new DataReport(
        json,
        markdown,
        rowCount,
        duplicates.rows(),
        emptyOutputs,
        suspiciousRows,
        report.rowsRemovedByFilters(),
        baselineFailures.count(),
        warnings,
        checks.problems(),
        html,
        flagged.rows());
  }

  /** Why a row is flagged when the prompt baseline answered it wrongly. */
  static final String BASELINE_WRONG = "baseline_wrong";

  /** The flagged rows, and the rows the report shows as examples of each problem, by number. */
  private record Flagged(DatasetRef rows, Map<Integer, Row> examples) {}

  /**
   * Every row worth a reviewer's look, in dataset order: each of its problems (a rare value found
   * here, in this last pass) and, for a test row the baseline answered wrongly, {@link
   * #BASELINE_WRONG} with the baseline's answer. Rows of the pipeline's format, so that the file is
   * also a dataset (the one a stronger model is asked to label for suggestions).
   */
  private Flagged flagged(ProfileRequest r, DataChecks checks, List<DataChecks.RareValue> rare) {
    // Known so far: every kind but rare values, each row once per kind.
    DataChecks.Result before = checks.result(List.of());
    Map<String, BitSet> byKind = new LinkedHashMap<>();
    before
        .rowsByKind()
        .forEach(
            (kind, ids) -> {
              BitSet set = new BitSet();
              ids.forEach(set::set);
              byKind.put(kind, set);
            });
    Set<Integer> examples = new HashSet<>();
    before.problems().forEach(p -> examples.addAll(p.exampleRows()));
    Map<String, String> wrongAnswers = wrongAnswers(r.baseline().predictions());
    Map<Integer, Row> shown = new HashMap<>();
    int rareShown = 0;
    try (Rows.Sink out = new Rows.Sink(store, FLAGGED_NAME);
        Rows.RowStream rows = Rows.each(store, r.data())) {
      for (Rows.Numbered x : rows) {
        Row row = x.row();
        boolean isRare = checks.addRare(x.id(), row, rare);
        if (isRare && rareShown++ < DataChecks.EXAMPLE_ROWS) {
          shown.put(x.id(), row);
        }
        if (examples.contains(x.id())) {
          shown.put(x.id(), row);
        }
        List<String> why = new ArrayList<>();
        for (String kind : DataProblem.KINDS) {
          if (kind.equals(DataProblem.RARE_VALUE) ? isRare : has(byKind, kind, x.id())) {
            why.add(kind);
          }
        }
        String wrong = wrongAnswers.get(Rows.normalize(row.input()));
        if (wrong != null) {
          why.add(BASELINE_WRONG);
        }
        if (why.isEmpty()) {
          continue;
        }
        ObjectNode line = Rows.JSON.createObjectNode().put(Rows.ROW_ID, x.id());
        line.setAll(Rows.node(row));
        line.putPOJO("reasons", why);
        if (wrong != null) {
          line.put("baseline", wrong);
        }
        out.add(line, row.labeled());
      }
      return new Flagged(out.commit(), shown);
    }
  }

  private static boolean has(Map<String, BitSet> byKind, String kind, int id) {
    BitSet set = byKind.get(kind);
    return set != null && set.get(id);
  }

  /**
   * The prompt baseline's wrong answers by normalized input: the test rows it failed (a share of
   * the test set, which is itself a share of the data).
   */
  private Map<String, String> wrongAnswers(ArtifactRef predictions) {
    Map<String, String> wrong = new HashMap<>();
    try (BufferedReader in =
        Files.newBufferedReader(store.existing(predictions.path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode p = Rows.JSON.readTree(line);
        if (p.path("scored").asBoolean() && !p.path("exact").asBoolean()) {
          wrong.putIfAbsent(Rows.normalize(p.path("input").asText()), p.path("answer").asText());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return wrong;
  }

  /** The dataset name of the flagged rows. */
  static final String FLAGGED_NAME = "flagged";

  /** The spec's answer schema; a file gone or broken since the spec was loaded is bad input. */
  private static AnswerSchema answerSchema(String path) {
    if (path == null) {
      return null;
    }
    try {
      return AnswerSchema.load(path);
    } catch (IllegalArgumentException e) {
      throw Failures.invalidInput("answerSchema: " + e.getMessage());
    }
  }

  private static Map<String, String> typeIds(Map<String, FieldType> types) {
    Map<String, String> ids = new LinkedHashMap<>();
    types.forEach((f, t) -> ids.put(f, t.id()));
    return ids;
  }

  /** Exact quantiles from the count of rows per input length. */
  private static InputLength inputLength(SortedMap<Integer, Integer> lengths) {
    long total = lengths.values().stream().mapToLong(Integer::intValue).sum();
    return new InputLength(
        lengths.firstKey(),
        nth(lengths, total / 2),
        nth(lengths, (long) (total * 0.9)),
        lengths.lastKey());
  }

  /** The length of the {@code n}th row (from 0) in order of length. */
  private static int nth(SortedMap<Integer, Integer> lengths, long n) {
    long seen = 0;
    for (Map.Entry<Integer, Integer> e : lengths.entrySet()) {
      seen += e.getValue();
      if (seen > n) {
        return e.getKey();
      }
    }
    return lengths.lastKey();
  }

  /** Labels that differ only in case or spaces from a more common one: likely typos. */
  private static List<SuspiciousLabel> suspiciousLabels(Map<String, Map<String, Integer>> labels) {
    List<SuspiciousLabel> suspicious = new ArrayList<>();
    labels.forEach(
        (f, counts) -> {
          for (Map.Entry<String, Integer> c : counts.entrySet()) {
            String canonical = canonical(c.getKey());
            boolean variant =
                counts.entrySet().stream()
                    .anyMatch(
                        o ->
                            !o.getKey().equals(c.getKey())
                                && o.getValue() > c.getValue()
                                && canonical(o.getKey()).equals(canonical));
            if (!c.getKey().isBlank() && variant) {
              suspicious.add(
                  new SuspiciousLabel(
                      f,
                      c.getKey(),
                      c.getValue(),
                      "differs only in case or spaces from a more common label"));
            }
          }
        });
    return suspicious;
  }

  private static String canonical(String label) {
    return label.trim().toLowerCase(Locale.ROOT);
  }

  /** The rows the split kept out of training (null when none: and in older histories). */
  private KeptOut keptOut(ProfileRequest r) {
    if (r.split().keptOut() == null) {
      return null;
    }
    List<KeptOutRow> first = new ArrayList<>();
    try (BufferedReader in =
        Files.newBufferedReader(
            store.existing(r.split().keptOut().path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine();
          line != null && first.size() < LISTED_ROWS_SHOWN;
          line = in.readLine()) {
        JsonNode row = Rows.JSON.readTree(line);
        List<String> sets = new ArrayList<>();
        row.path("evalSets").forEach(n -> sets.add(n.asText()));
        first.add(new KeptOutRow(row.path("input").asText(), sets));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Integer> bySet = new TreeMap<>(r.split().keptOutOfTraining());
    bySet.values().removeIf(n -> n == 0);
    return new KeptOut(r.split().keptOutRows(), bySet, r.split().keptOut().path(), first);
  }

  /** The rows that could not be read (null when none: or when the import fails on them). */
  private Invalid invalid(InvalidRows invalid) {
    if (invalid == null) {
      return null;
    }
    List<InvalidRow> first = new ArrayList<>();
    try (BufferedReader in =
        Files.newBufferedReader(store.existing(invalid.path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine();
          line != null && first.size() < LISTED_ROWS_SHOWN;
          line = in.readLine()) {
        JsonNode row = Rows.JSON.readTree(line);
        first.add(
            new InvalidRow(
                row.path("file").asText(), row.path("line").asInt(), row.path("reason").asText()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Invalid(invalid.rows(), invalid.path(), first);
  }

  /** Where fine-tuning has to earn its keep. */
  private BaselineFailures baselineFailures(ArtifactRef predictions) {
    List<JsonNode> first = new ArrayList<>();
    int count = 0;
    try (BufferedReader in =
        Files.newBufferedReader(store.existing(predictions.path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode p = Rows.JSON.readTree(line);
        if (p.path("scored").asBoolean() && !p.path("exact").asBoolean()) {
          count++;
          if (first.size() < BASELINE_FAILURES_SHOWN) {
            first.add(p);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new BaselineFailures(first, count);
  }

  private static List<String> warnings(
      ProfileRequest r,
      double baselineScore,
      DataChecks.Result checks,
      int suspiciousRows,
      long conflictingInputs) {
    List<String> warnings = new ArrayList<>();
    if (baselineScore < 0.2) {
      warnings.add(
          String.format(
              Locale.ROOT,
              "Very poor prompt baseline (%s %.3f): often a data or labeling problem, not a model"
                  + " problem. Read the baseline failures before approving.",
              r.targetMetric(),
              baselineScore));
    }
    if (Scores.of(r.baseline().metrics(), Scores.INVALID_OUTPUT_RATE) > 0.5) {
      warnings.add("Most baseline answers are not the expected JSON: check the prompt.");
    }
    for (DataProblem p : checks.problems()) {
      String what = PROBLEM_WARNINGS.get(p.kind());
      if (p.rows() > 0 && what != null) {
        warnings.add(p.rows() + " row(s) " + what + " (rows " + rowList(p) + ").");
      }
    }
    if (suspiciousRows > 0) {
      warnings.add(
          suspiciousRows + " row(s) carry a label that looks like a typo of a common one.");
    }
    if (conflictingInputs > 0) {
      warnings.add(conflictingInputs + " input(s) appear more than once with different labels.");
    }
    if (r.split().test().rows() < 50) {
      warnings.add(
          "The test set has only " + r.split().test().rows() + " rows: scores will be noisy.");
    }
    r.split()
        .evalSetLeaks()
        .forEach(
            (set, n) -> {
              if (n > 0) {
                warnings.add(
                    n + " row(s) of eval set '" + set + "' also occur in the training data.");
              }
            });
    if (r.data().invalidRows() != null) {
      warnings.add(
          r.data().invalidRows().rows()
              + " row(s) of the dataset could not be read and were kept out of training"
              + " (dataset.invalidRows: review): fix them; each is listed in the data report with"
              + " file, line and reason.");
    }
    if (r.split().keptOutOfTraining() != null) {
      r.split()
          .keptOutOfTraining()
          .forEach(
              (set, n) -> {
                if (n > 0) {
                  warnings.add(
                      n
                          + " row(s) of the training data were kept out of training because they"
                          + " occur in eval set '"
                          + set
                          + "' (listed in the data report; not dropped).");
                }
              });
    }
    return warnings;
  }

  /** What a warning says of each kind of problem worth fixing before training. */
  private static final Map<String, String> PROBLEM_WARNINGS =
      Map.of(
          DataProblem.EMPTY_OUTPUT, "have an empty output: relabel them",
          DataProblem.MISSING_FIELD, "miss an output field: complete them",
          DataProblem.WRONG_TYPE, "have a value of the wrong type: correct them",
          DataProblem.VALUE_NOT_ALLOWED,
              "have a value outside the spec's values: relabel them or extend the values",
          DataProblem.SCHEMA_VIOLATION, "have an answer that does not meet the answerSchema");

  /** What each kind of problem is, as the Markdown and HTML reports explain it. */
  static final Map<String, String> PROBLEM_NAMES =
      Map.of(
          DataProblem.EMPTY_OUTPUT, "empty output",
          DataProblem.MISSING_FIELD, "missing field",
          DataProblem.WRONG_TYPE, "wrong type",
          DataProblem.VALUE_NOT_ALLOWED, "value not allowed",
          DataProblem.SCHEMA_VIOLATION, "answer not meeting answerSchema",
          DataProblem.RARE_VALUE,
              "rare value (< " + DataChecks.RARE_MIN_ROWS + " rows or < 0.5% of the field's rows)",
          DataProblem.CONFLICTING_LABELS, "conflicting labels (same normalized input)",
          DataProblem.EXACT_DUPLICATE, "exact duplicate",
          DataProblem.NEAR_DUPLICATE, "near duplicate (case, spaces, punctuation)");

  static String rowList(DataProblem p) {
    String shown = String.join(", ", p.exampleRows().stream().map(String::valueOf).toList());
    return p.rows() > p.exampleRows().size() ? shown + ", ..." : shown;
  }

  private static String markdown(Report report, List<String> fields) {
    StringBuilder sb = new StringBuilder("# Data report\n\n");
    summaryMarkdown(sb, report);
    problemsMarkdown(sb, report);
    keptOutMarkdown(sb, report.keptOutOfTraining());
    invalidMarkdown(sb, report.invalidRows());
    labelsMarkdown(sb, report, fields);
    baselineMarkdown(sb, report);
    warningsMarkdown(sb, report);
    return sb.toString();
  }

  private static void summaryMarkdown(StringBuilder sb, Report report) {
    sb.append("Dataset: `")
        .append(report.dataset())
        .append("` (sha256 ")
        .append(report.sha256(), 0, 12)
        .append(")\n\n");
    sb.append("| rows | train | test | duplicates | empty outputs | removed by filters |\n");
    sb.append("|---|---|---|---|---|---|\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "| %d | %d | %d | %d | %d | %d |%n%n",
            report.rows(),
            report.trainRows(),
            report.testRows(),
            report.duplicateRows(),
            report.emptyOutputs(),
            report.rowsRemovedByFilters()));
    InputLength len = report.inputLength();
    sb.append(
        String.format(
            Locale.ROOT,
            "Input length (characters): min %d, median %d, p90 %d, max %d%n%n",
            len.min(),
            len.p50(),
            len.p90(),
            len.max()));
  }

  private static void problemsMarkdown(StringBuilder sb, Report report) {
    sb.append(
            "## Problems\n\nEach counted on its own; row numbers count the dataset's rows from 1.")
        .append(" No row was dropped.\n\n| problem | rows | first rows |\n|---|---|---|\n");
    for (DataProblem p : report.problems()) {
      sb.append("| ")
          .append(PROBLEM_NAMES.get(p.kind()))
          .append(" | ")
          .append(p.rows())
          .append(" | ")
          .append(rowList(p))
          .append(" |\n");
    }
    sb.append('\n');
    if (!report.badValues().isEmpty()) {
      sb.append("Values that are not labels (left out of the label counts below):\n\n");
      for (DataChecks.BadValue b : report.badValues()) {
        sb.append("- ")
            .append(b.field())
            .append(" = `")
            .append(b.value())
            .append("`: ")
            .append(PROBLEM_NAMES.get(b.kind()))
            .append(", ")
            .append(b.rows())
            .append(" row(s)\n");
      }
      sb.append('\n');
    }
    if (!report.schemaViolations().isEmpty()) {
      sb.append("What the answer schema's validator said:\n\n");
      for (DataChecks.SchemaMessage m : report.schemaViolations()) {
        sb.append("- ").append(m.message()).append(": ").append(m.rows()).append(" row(s)\n");
      }
      sb.append('\n');
    }
    if (!report.rareValues().isEmpty()) {
      sb.append("Rare values (few examples to learn from; a typo, or a label to merge?):\n\n");
      for (DataChecks.RareValue v : report.rareValues()) {
        sb.append("- ")
            .append(v.field())
            .append(" = `")
            .append(v.value())
            .append("`: ")
            .append(v.rows())
            .append(" row(s)\n");
      }
      sb.append('\n');
    }
  }

  private static void keptOutMarkdown(StringBuilder sb, KeptOut kept) {
    if (kept == null) {
      return;
    }
    sb.append("## Kept out of training\n\n")
        .append(kept.rows())
        .append(
            " row(s) of the data have an input (compared in lower case, without punctuation or"
                + " extra spaces) that occurs in an eval set: they are kept out of training, so"
                + " that the set still judges unseen inputs. Not dropped: all are in `")
        .append(kept.file())
        .append("`. First ones:\n\n");
    for (KeptOutRow row : kept.first()) {
      sb.append("- ")
          .append(row.input())
          .append(" (occurs in eval set ")
          .append(String.join(", ", row.evalSets()))
          .append(")\n");
    }
    sb.append('\n');
  }

  private static void invalidMarkdown(StringBuilder sb, Invalid invalid) {
    if (invalid == null) {
      return;
    }
    sb.append("## Invalid rows (kept out of training)\n\n")
        .append(invalid.rows())
        .append(" row(s) could not be read (dataset.invalidRows: review). All are in `")
        .append(invalid.file())
        .append("`, each with its text. First ones:\n\n");
    for (InvalidRow row : invalid.first()) {
      sb.append("- `")
          .append(row.file())
          .append(':')
          .append(row.line())
          .append("`: ")
          .append(row.reason())
          .append('\n');
    }
    sb.append('\n');
  }

  private static void labelsMarkdown(StringBuilder sb, Report report, List<String> fields) {
    for (String f : fields) {
      String type = report.fieldTypes().get(f);
      if (!report.labels().containsKey(f)) {
        sb.append("## Values: ")
            .append(f)
            .append(" (")
            .append(type)
            .append(")\n\n")
            .append(report.values().get(f))
            .append("\n\n");
        continue;
      }
      sb.append("## Labels: ")
          .append(f)
          .append(" (")
          .append(type)
          .append(")\n\n| value | rows |\n|---|---|\n");
      report
          .labels()
          .get(f)
          .forEach(
              (value, rows) ->
                  sb.append("| ")
                      .append(value.isEmpty() ? "(empty)" : "`" + value + "`")
                      .append(" | ")
                      .append(rows)
                      .append(" |\n"));
      sb.append('\n');
    }
    if (!report.suspiciousLabels().isEmpty()) {
      sb.append("## Suspicious labels\n\n");
      for (SuspiciousLabel s : report.suspiciousLabels()) {
        sb.append("- ")
            .append(s.field())
            .append(" = `")
            .append(s.value())
            .append("` (")
            .append(s.rows())
            .append(" row(s)): ")
            .append(s.why())
            .append('\n');
      }
      sb.append('\n');
    }
  }

  private static void baselineMarkdown(StringBuilder sb, Report report) {
    sb.append(
        String.format(
            Locale.ROOT,
            "## Prompt baseline%n%nScore %.3f; %d test rows answered wrongly. First ones:%n%n",
            report.baselineScore(),
            report.baselineFailureCount()));
    for (JsonNode p : report.baselineFailures()) {
      sb.append("- ")
          .append(p.get("input").asText())
          .append("\n  - expected `")
          .append(p.get("expected").toString())
          .append("`, got `")
          .append(p.get("answer").asText())
          .append("`\n");
    }
  }

  private static void warningsMarkdown(StringBuilder sb, Report report) {
    sb.append("\n## Warnings\n\n");
    if (report.warnings().isEmpty()) {
      sb.append("None.\n");
    }
    report.warnings().forEach(w -> sb.append("- ").append(w).append('\n'));
  }
}
