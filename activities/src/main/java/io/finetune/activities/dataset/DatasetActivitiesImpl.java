package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.dataset.DatasetActivities;
import io.finetune.workflows.spec.EvalSetRole;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

public class DatasetActivitiesImpl implements DatasetActivities {
  private static final int MAX_ERRORS_SHOWN = 20;
  private final ArtifactStore store;

  public DatasetActivitiesImpl(ArtifactStore store) {
    this.store = store;
  }

  @Override
  public DatasetRef importDataset(ImportRequest r) {
    Path file = Path.of(r.path());
    if (!Files.isRegularFile(file)) {
      throw Failures.invalidInput(r.path() + ": no such dataset file (" + r.name() + ")");
    }
    List<Row> rows = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    int errorCount = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String problem = null;
        Row row = null;
        try {
          JsonNode node = Rows.JSON.readTree(line);
          problem = rowProblem(node, r);
          if (problem == null) {
            JsonNode out = node.get(r.outputField());
            row =
                new Row(
                    node.get(r.inputField()).asText(),
                    out == null || out.isNull() ? null : (ObjectNode) out);
          }
        } catch (IOException e) {
          problem = "not valid JSON (" + firstLine(e.getMessage()) + ")";
        }
        if (problem != null) {
          if (errorCount++ < MAX_ERRORS_SHOWN) {
            errors.add(r.path() + ":" + lineNo + ": " + problem);
          }
        } else {
          rows.add(row);
        }
      }
    } catch (java.nio.charset.MalformedInputException e) {
      throw Failures.invalidInput(r.path() + ": not UTF-8 text");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (errorCount > 0) {
      throw Failures.invalidInput(
          "Dataset "
              + r.name()
              + " has "
              + errorCount
              + " unreadable row(s); nothing was imported. Fix them (no row is ever dropped"
              + " silently):\n  "
              + String.join("\n  ", errors)
              + (errorCount > errors.size()
                  ? "\n  ... and " + (errorCount - errors.size()) + " more"
                  : ""));
    }
    if (rows.isEmpty()) {
      throw Failures.invalidInput(r.path() + ": the dataset has no rows");
    }
    return Rows.write(store, r.name(), rows);
  }

  private static String rowProblem(JsonNode node, ImportRequest r) {
    if (!node.isObject()) {
      return "expected a JSON object per line";
    }
    JsonNode input = node.get(r.inputField());
    if (input == null || !input.isTextual()) {
      return "field '" + r.inputField() + "' is missing or not a string";
    }
    if (input.asText().isBlank()) {
      return "field '" + r.inputField() + "' is empty";
    }
    JsonNode output = node.get(r.outputField());
    if (output == null || output.isNull()) {
      return r.labelsRequired()
          ? "field '"
              + r.outputField()
              + "' is missing (expected an object with "
              + String.join(", ", r.outputFields())
              + ")"
          : null;
    }
    if (!output.isObject()) {
      return "field '"
          + r.outputField()
          + "' must be an object with "
          + String.join(", ", r.outputFields())
          + ", was "
          + output.getNodeType().name().toLowerCase(Locale.ROOT);
    }
    return null;
  }

  @Override
  public SplitResult split(SplitRequest r) {
    List<Row> rows = Rows.read(store, r.data());
    // Group rows by normalized input so that duplicates land on one side: no train/test leakage.
    Map<String, List<Row>> groups = new LinkedHashMap<>();
    for (Row row : rows) {
      groups.computeIfAbsent(Rows.normalize(row.input()), k -> new ArrayList<>()).add(row);
    }
    List<String> keys = new ArrayList<>(groups.keySet());
    keys.sort(
        Comparator.comparing(
            k -> ArtifactStore.sha256Hex((r.seed() + ":" + k).getBytes(StandardCharsets.UTF_8))));
    // The first groups in that seeded order are the test set, the next ones the validation set.
    long wanted = Math.round(rows.size() * r.testFraction());
    long validationWanted = Math.round(rows.size() * r.validationFraction());
    Set<String> testKeys = new HashSet<>();
    Set<String> validationKeys = new HashSet<>();
    int testRows = 0;
    int validationRows = 0;
    for (String k : keys) {
      if (testRows < wanted) {
        testKeys.add(k);
        testRows += groups.get(k).size();
      } else if (validationRows < validationWanted) {
        validationKeys.add(k);
        validationRows += groups.get(k).size();
      } else {
        break;
      }
    }
    List<Row> train = new ArrayList<>();
    List<Row> test = new ArrayList<>();
    List<Row> validation = new ArrayList<>();
    for (Row row : rows) {
      String key = Rows.normalize(row.input());
      (testKeys.contains(key) ? test : validationKeys.contains(key) ? validation : train).add(row);
    }
    Set<String> trainInputs = new HashSet<>();
    train.forEach(row -> trainInputs.add(Rows.normalize(row.input())));
    int leaks =
        (int) test.stream().filter(x -> trainInputs.contains(Rows.normalize(x.input()))).count();
    Map<String, Integer> evalLeaks = new TreeMap<>();
    for (DatasetRef set : r.evalSets()) {
      evalLeaks.put(
          set.name(),
          (int)
              Rows.read(store, set).stream()
                  .filter(x -> trainInputs.contains(Rows.normalize(x.input())))
                  .count());
    }
    return new SplitResult(
        Rows.write(store, "train", train),
        Rows.write(store, EvalSetRole.TEST_NAME, test),
        rows.size() - groups.size(),
        leaks,
        evalLeaks,
        validation.isEmpty() ? null : Rows.write(store, VALIDATION_NAME, validation));
  }

  /** The validation set's dataset name. */
  static final String VALIDATION_NAME = "validation";

  @Override
  public DataReport profile(ProfileRequest r) {
    return new DataProfiler(store).profile(r);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
