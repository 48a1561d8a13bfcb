package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fuzz.Fuzz;
import io.finetune.activities.fuzz.JsonTrees;
import io.finetune.activities.fuzz.Mutants;
import io.finetune.activities.fuzz.Mutants.Seed;
import io.finetune.activities.fuzz.Outcome;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset reader (the import, and the CLI's preflight that reads files by the same rules) on
 * files made from the repository's valid and malformed datasets: each is imported, every row
 * readable again, or refused with a non-retryable InvalidInput failure that names the file (and the
 * line of a bad row), the same words as the preflight's, and nothing left in the store.
 */
class DatasetImportFuzzTest {
  static final String READER = "dataset reader";
  private static final Path PREFLIGHT = Path.of("../starter/src/test/resources/preflight");
  private static final List<String> WORDS =
      List.of(
          "input",
          "output",
          "category",
          "priority",
          "messages",
          "role",
          "content",
          "system",
          "user",
          "assistant",
          "context",
          "row",
          "{\"category\": \"billing\", \"priority\": \"low\"}",
          "\"input\": ",
          "\"output\": ");

  @TempDir Path dir;
  private ArtifactStore store;
  private DatasetActivitiesImpl activities;

  @BeforeEach
  void setUp() {
    store = new ArtifactStore(dir.resolve("store"));
    activities = new DatasetActivitiesImpl(store);
  }

  /** Every file of the preflight's tests, and the start of each example's training data. */
  static List<Seed> seeds() {
    List<Seed> seeds = new ArrayList<>();
    for (String folder : List.of("valid", "malformed")) {
      try (Stream<Path> files = Files.list(PREFLIGHT.resolve(folder))) {
        files.sorted().forEach(f -> seeds.add(Seed.of(f)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (String example : List.of("ticket-triage", "call-logs", "reply-drafts")) {
      try (Stream<String> lines = Files.lines(Path.of("../examples", example, "train.jsonl"))) {
        seeds.add(Seed.of(example, String.join("\n", lines.limit(5).toList()) + "\n"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return seeds;
  }

  /** What the spec may say about the file: its format, task and what a bad row does. */
  record Settings(String format, String task, boolean labelsRequired, String invalidRows) {
    static Settings random(SplittableRandom r) {
      String[] formats = {null, "fields", "json-string", "chat", "text"};
      return new Settings(
          formats[r.nextInt(formats.length)],
          r.nextInt(4) == 0 ? "text" : null,
          r.nextInt(3) > 0,
          r.nextInt(3) == 0 ? "review" : null);
    }

    ImportRequest request(Path file) {
      return new ImportRequest(
          "train",
          file.toString(),
          "input",
          "output",
          "text".equals(task) ? List.of() : List.of("category", "priority"),
          labelsRequired,
          format,
          task,
          invalidRows);
    }
  }

  record Case<T>(T input, Settings settings) {
    @Override
    public String toString() {
      return settings + " " + input;
    }
  }

  @Test
  void aDatasetWithItsBytesEditedIsImportedOrRefusedByFileAndLine() {
    List<Seed> seeds = seeds();
    Fuzz.check(
        READER,
        "datasetBytesEdited",
        1,
        (SplittableRandom r) -> new Case<>(Mutants.random(r, seeds, WORDS), Settings.random(r)),
        c -> Mutants.smaller(c.input()).stream().map(m -> new Case<>(m, c.settings())).toList(),
        c -> check(c.input().bytes(), c.settings(), c));
  }

  @Test
  void aRowWithFieldsOfTheWrongTypeIsImportedOrRefusedByFileAndLine() {
    Map<String, JsonNode> rows = new LinkedHashMap<>();
    for (Seed s : seeds()) {
      String first = new String(s.bytes(), StandardCharsets.UTF_8).split("\r?\n", -1)[0];
      try {
        JsonNode row = JsonTrees.JSON.readTree(first);
        if (row != null && row.isObject()) {
          rows.put(s.name(), row);
        }
      } catch (IOException notJson) {
        // a malformed seed: its bytes are fuzzed above
      }
    }
    String good = "{\"input\": \"refund please\", \"output\": {\"category\": \"billing\"}}";
    Fuzz.check(
        READER,
        "datasetRowChanged",
        1,
        (SplittableRandom r) -> new Case<>(JsonTrees.changed(r, rows, WORDS), Settings.random(r)),
        c -> JsonTrees.smaller(c.input()).stream().map(t -> new Case<>(t, c.settings())).toList(),
        c ->
            check(
                (good + "\n" + c.input().json() + "\n" + good + "\n")
                    .getBytes(StandardCharsets.UTF_8),
                c.settings(),
                c));
  }

  private void check(byte[] bytes, Settings settings, Object input) throws IOException {
    Path file = Files.write(dir.resolve("data.jsonl"), bytes);
    ImportRequest request = settings.request(file);
    List<Path> before = files();
    Outcome<DatasetRef> o =
        Outcome.of(() -> activities.importDataset(request), ApplicationFailure.class, input);
    DatasetCheck.Result preflight =
        Outcome.of(() -> DatasetCheck.check(request), UncheckedIOException.class, input).result();
    if (o.failed()) {
      ApplicationFailure f = (ApplicationFailure) o.error();
      assertEquals(Failures.INVALID_INPUT, f.getType(), f.toString());
      assertTrue(f.isNonRetryable(), f.toString());
      String message = o.message(f.getOriginalMessage(), file.toString());
      assertEquals(preflight.importFailure(), message, "the preflight says the same");
      assertEquals(before, files(), "nothing is left in the store by a refused file");
      return;
    }
    assertTrue(preflight.ok(), "the preflight takes what the import takes: " + preflight);
    DatasetRef ref = o.result();
    List<Row> rows = Rows.read(store, ref);
    assertEquals(ref.rows(), rows.size());
    assertEquals(ref.labeledRows(), (int) rows.stream().filter(Row::labeled).count());
    for (Row row : rows) {
      assertFalse(row.input().isBlank(), "a row without input: " + row);
      assertTrue(
          row.output() == null || row.output().isObject() || row.output().isTextual(),
          "an answer of another type: " + row);
    }
  }

  private List<Path> files() throws IOException {
    try (Stream<Path> files = Files.walk(store.root())) {
      return files.filter(Files::isRegularFile).sorted().toList();
    }
  }
}
