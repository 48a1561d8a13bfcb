package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The data report of the review checkpoint (rule 3): size, input lengths, label distributions,
 * labels that look like typos, duplicates and conflicting duplicates, empty outputs, rows removed
 * by filters (always none: rule 4) and the rows the prompt baseline got wrong, as JSON for tools
 * and Markdown for people.
 */
final class DataProfiler {
  private final ArtifactStore store;

  DataProfiler(ArtifactStore store) {
    this.store = store;
  }

  DataReport profile(ProfileRequest r) {
    List<Row> rows = Rows.read(store, r.data());
    List<String> fields = r.outputFields();
    ObjectNode report = Rows.JSON.createObjectNode();
    report.put("dataset", r.data().path());
    report.put("sha256", r.data().sha256());
    report.put("rows", rows.size());
    report.put("trainRows", r.split().train().rows());
    report.put("testRows", r.split().test().rows());
    report.put("rowsRemovedByFilters", 0);

    int[] lengths = rows.stream().mapToInt(x -> x.input().length()).sorted().toArray();
    ObjectNode len = report.putObject("inputLength");
    len.put("min", lengths[0]);
    len.put("p50", lengths[lengths.length / 2]);
    len.put("p90", lengths[(int) (lengths.length * 0.9)]);
    len.put("max", lengths[lengths.length - 1]);

    // Label distributions and labels that look like typos of a more common one.
    ObjectNode labels = report.putObject("labels");
    ArrayNode suspicious = report.putArray("suspiciousLabels");
    int suspiciousRows = 0;
    int emptyOutputs = 0;
    for (Row row : rows) {
      for (String f : fields) {
        if (row.value(f).isBlank()) {
          emptyOutputs++;
          break;
        }
      }
    }
    for (String f : fields) {
      Map<String, Integer> counts = new TreeMap<>();
      rows.forEach(x -> counts.merge(x.value(f), 1, Integer::sum));
      ObjectNode dist = labels.putObject(f);
      counts.forEach(dist::put);
      for (Map.Entry<String, Integer> c : counts.entrySet()) {
        String canonical = c.getKey().trim().toLowerCase(Locale.ROOT);
        boolean variant =
            counts.entrySet().stream()
                .anyMatch(
                    o ->
                        !o.getKey().equals(c.getKey())
                            && o.getValue() > c.getValue()
                            && o.getKey().trim().toLowerCase(Locale.ROOT).equals(canonical));
        if (!c.getKey().isBlank() && variant) {
          suspicious
              .addObject()
              .put("field", f)
              .put("value", c.getKey())
              .put("rows", c.getValue())
              .put("why", "differs only in case or spaces from a more common label");
          suspiciousRows += c.getValue();
        }
      }
    }

    // Duplicates, and duplicates that disagree on the label.
    Map<String, Set<String>> outputsByInput = new LinkedHashMap<>();
    for (Row row : rows) {
      outputsByInput
          .computeIfAbsent(Rows.normalize(row.input()), k -> new HashSet<>())
          .add(String.valueOf(row.output()));
    }
    int duplicateRows = rows.size() - outputsByInput.size();
    long conflicting = outputsByInput.values().stream().filter(s -> s.size() > 1).count();
    report.put("duplicateRows", duplicateRows);
    report.put("conflictingDuplicateInputs", conflicting);
    report.put("emptyOutputs", emptyOutputs);
    report.put("trainTestLeaks", r.split().trainTestLeaks());
    report.set("evalSetLeaks", Rows.JSON.valueToTree(r.split().evalSetLeaks()));

    // The rows the prompt baseline got wrong: where fine-tuning has to earn its keep.
    ArrayNode failures = report.putArray("baselineFailures");
    int baselineFailures = 0;
    try (BufferedReader in =
        Files.newBufferedReader(
            store.existing(r.baseline().predictions().path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode p = Rows.JSON.readTree(line);
        if (p.path("scored").asBoolean() && !p.path("exact").asBoolean()) {
          baselineFailures++;
          if (failures.size() < 25) {
            failures.add(p);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    double baselineScore = Scores.of(r.baseline().metrics(), r.targetMetric());
    report.put("baselineScore", baselineScore);
    report.put("baselineFailureCount", baselineFailures);

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
    if (emptyOutputs > 0) {
      warnings.add(emptyOutputs + " row(s) have an empty or missing output field: relabel them.");
    }
    if (suspiciousRows > 0) {
      warnings.add(
          suspiciousRows + " row(s) carry a label that looks like a typo of a common one.");
    }
    if (conflicting > 0) {
      warnings.add(conflicting + " input(s) appear more than once with different labels.");
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
    ArrayNode w = report.putArray("warnings");
    warnings.forEach(w::add);

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
    return new DataReport(
        json,
        markdown,
        rows.size(),
        duplicateRows,
        emptyOutputs,
        suspiciousRows,
        0,
        baselineFailures,
        warnings);
  }

  private static String markdown(ObjectNode report, List<String> fields) {
    StringBuilder sb = new StringBuilder("# Data report\n\n");
    sb.append("Dataset: `")
        .append(report.get("dataset").asText())
        .append("` (sha256 ")
        .append(report.get("sha256").asText(), 0, 12)
        .append(")\n\n");
    sb.append("| rows | train | test | duplicates | empty outputs | removed by filters |\n");
    sb.append("|---|---|---|---|---|---|\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "| %d | %d | %d | %d | %d | %d |%n%n",
            report.get("rows").asInt(),
            report.get("trainRows").asInt(),
            report.get("testRows").asInt(),
            report.get("duplicateRows").asInt(),
            report.get("emptyOutputs").asInt(),
            report.get("rowsRemovedByFilters").asInt()));
    JsonNode len = report.get("inputLength");
    sb.append(
        String.format(
            Locale.ROOT,
            "Input length (characters): min %d, median %d, p90 %d, max %d%n%n",
            len.get("min").asInt(),
            len.get("p50").asInt(),
            len.get("p90").asInt(),
            len.get("max").asInt()));
    for (String f : fields) {
      sb.append("## Labels: ").append(f).append("\n\n| value | rows |\n|---|---|\n");
      report
          .get("labels")
          .get(f)
          .fields()
          .forEachRemaining(
              e ->
                  sb.append("| ")
                      .append(e.getKey().isEmpty() ? "(empty)" : "`" + e.getKey() + "`")
                      .append(" | ")
                      .append(e.getValue().asInt())
                      .append(" |\n"));
      sb.append('\n');
    }
    if (!report.get("suspiciousLabels").isEmpty()) {
      sb.append("## Suspicious labels\n\n");
      report
          .get("suspiciousLabels")
          .forEach(
              s ->
                  sb.append("- ")
                      .append(s.get("field").asText())
                      .append(" = `")
                      .append(s.get("value").asText())
                      .append("` (")
                      .append(s.get("rows").asInt())
                      .append(" row(s)): ")
                      .append(s.get("why").asText())
                      .append('\n'));
      sb.append('\n');
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "## Prompt baseline%n%nScore %.3f; %d test rows answered wrongly. First ones:%n%n",
            report.get("baselineScore").asDouble(),
            report.get("baselineFailureCount").asInt()));
    report
        .get("baselineFailures")
        .forEach(
            p ->
                sb.append("- ")
                    .append(p.get("input").asText())
                    .append("\n  - expected `")
                    .append(p.get("expected").toString())
                    .append("`, got `")
                    .append(p.get("answer").asText())
                    .append("`\n"));
    sb.append("\n## Warnings\n\n");
    if (report.get("warnings").isEmpty()) {
      sb.append("None.\n");
    }
    report.get("warnings").forEach(w -> sb.append("- ").append(w.asText()).append('\n'));
    return sb.toString();
  }
}
