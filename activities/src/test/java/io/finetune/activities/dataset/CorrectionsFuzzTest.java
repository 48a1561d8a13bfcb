package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fuzz.Fuzz;
import io.finetune.activities.fuzz.JsonTrees;
import io.finetune.activities.fuzz.Mutants;
import io.finetune.activities.fuzz.Mutants.Seed;
import io.finetune.activities.fuzz.Outcome;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.dataset.DatasetActivities.CorrectionRequest;
import io.finetune.workflows.dataset.DatasetActivities.CorrectionResult;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
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
 * The corrections reader on files made from a valid corrections file: each is applied as a new
 * version of the data, or refused with a non-retryable InvalidInput failure that names the file
 * (and the line), and then nothing is written: no new version, no partial file.
 */
class CorrectionsFuzzTest {
  static final String READER = "corrections reader";
  private static final List<String> FIELDS = List.of("category");
  private static final Map<String, List<String>> VALUES =
      Map.of("category", List.of("billing", "technical", "account"));

  static final List<String> LINES =
      List.of(
          "{\"row\": 1, \"input\": \"ticket 1\", \"action\": \"relabel\","
              + " \"output\": {\"category\": \"technical\"}, \"reason\": \"crash report\"}",
          "{\"row\": 2, \"action\": \"exclude\", \"reason\": \"not a ticket\"}",
          "{\"row\": 4, \"action\": \"keep\", \"baseline\": {\"category\": \"billing\"}}",
          "{\"row\": 5, \"input\": \"ticket 5\", \"action\": \"accept\","
              + " \"suggested\": {\"category\": \"account\"}, \"reason\": \"the model is right\","
              + " \"reasons\": [\"disagreement\"]}");

  static final List<String> WORDS =
      List.of(
          "row",
          "input",
          "action",
          "relabel",
          "exclude",
          "keep",
          "accept",
          "output",
          "suggested",
          "reason",
          "category",
          "billing",
          "technical",
          "account",
          "ticket 1",
          "ticket 3",
          "12",
          "13",
          "0");

  @TempDir Path dir;
  private ArtifactStore store;
  private DatasetRef data;

  @BeforeEach
  void setUp() {
    store = new ArtifactStore(dir.resolve("store"));
    List<Row> rows = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      rows.add(
          new Row(
              "ticket " + i,
              Rows.JSON.createObjectNode().put("category", i % 3 == 0 ? "technical" : "billing")));
    }
    data = Rows.write(store, "train", rows);
  }

  @Test
  void aCorrectionsFileWithItsBytesEditedIsAppliedOrRefusedWithNothingWritten() {
    List<Seed> seeds =
        List.of(
            Seed.of("all", String.join("\n", LINES) + "\n"),
            Seed.of("one", LINES.get(0) + "\n"),
            Seed.of("crlf", String.join("\r\n", LINES)));
    Fuzz.check(
        READER,
        "correctionsBytesEdited",
        1,
        (SplittableRandom r) -> Mutants.random(r, seeds, WORDS),
        Mutants::smaller,
        m -> check(m.bytes(), m));
  }

  @Test
  void aCorrectionWithFieldsOfTheWrongTypeIsAppliedOrRefusedWithNothingWritten() {
    Map<String, JsonNode> lines = new LinkedHashMap<>();
    for (int i = 0; i < LINES.size(); i++) {
      lines.put("line " + (i + 1), JsonTrees.read(JsonTrees.JSON, LINES.get(i)));
    }
    Fuzz.check(
        READER,
        "correctionsLineChanged",
        1,
        (SplittableRandom r) -> JsonTrees.changed(r, lines, WORDS),
        JsonTrees::smaller,
        c -> check((LINES.get(1) + "\n" + c.json() + "\n").getBytes(StandardCharsets.UTF_8), c));
  }

  private void check(byte[] bytes, Object input) throws IOException {
    Path file = Files.write(dir.resolve("corrections.jsonl"), bytes);
    CorrectionRequest request =
        new CorrectionRequest(
            data,
            file.toString(),
            Corrections.sha256(file),
            2,
            "alice",
            "fix",
            FIELDS,
            VALUES,
            null);
    List<Path> before = files();
    Outcome<CorrectionResult> o =
        Outcome.of(() -> Corrections.apply(store, request), ApplicationFailure.class, input);
    if (o.failed()) {
      ApplicationFailure f = (ApplicationFailure) o.error();
      assertEquals(Failures.INVALID_INPUT, f.getType(), f.toString());
      assertTrue(f.isNonRetryable(), f.toString());
      o.message(f.getOriginalMessage(), file.toString());
      assertEquals(before, files(), "a refused file writes nothing");
      return;
    }
    CorrectionResult result = o.result();
    List<Row> rows = Rows.read(store, result.data());
    assertEquals(data.rows() - result.excluded(), rows.size());
    assertEquals(result.data().rows(), rows.size());
    for (Row row : rows) {
      assertTrue(row.output() instanceof ObjectNode, "every row keeps an answer: " + row);
      String category = row.value("category");
      assertTrue(VALUES.get("category").contains(category), "a value of the spec: " + row);
    }
  }

  private List<Path> files() throws IOException {
    try (Stream<Path> files = Files.walk(store.root())) {
      return files.filter(Files::isRegularFile).sorted().toList();
    }
  }
}
