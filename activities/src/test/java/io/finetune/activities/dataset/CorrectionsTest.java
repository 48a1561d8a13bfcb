package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.CorrectionRequest;
import io.finetune.workflows.dataset.DatasetActivities.CorrectionResult;
import io.finetune.workflows.dataset.DatasetActivities.DataProblem;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reviewer's corrections file: flagged rows exported, edited, applied as a new version with its
 * lineage; every bad line named with file, line and field, and nothing written then.
 */
class CorrectionsTest {
  private static final List<String> FIELDS = List.of("category");
  private static final Map<String, List<String>> VALUES =
      Map.of("category", List.of("billing", "technical", "account"));

  @TempDir Path dir;
  private ArtifactStore store;
  private DatasetRef data;

  @BeforeEach
  void setUp() {
    store = new ArtifactStore(dir.resolve("store"));
    List<Row> rows = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      rows.add(new Row("ticket " + i, label(i % 3 == 0 ? "technical" : "billing")));
    }
    rows.set(1, new Row("ticket 2", label("ecstatic"))); // row 2: value not allowed
    rows.set(2, new Row("ticket 3", Rows.JSON.createObjectNode())); // row 3: empty output
    rows.set(6, new Row("ticket 7", label("account"))); // row 7: a rare value
    data = Rows.write(store, "train", rows);
  }

  private static ObjectNode label(String category) {
    return Rows.JSON.createObjectNode().put("category", category);
  }

  private Path file(String... lines) throws IOException {
    return Files.write(dir.resolve("fixed-" + System.nanoTime() + ".jsonl"), List.of(lines));
  }

  private CorrectionRequest request(DatasetRef on, Path file, int version) {
    return new CorrectionRequest(
        on,
        file.toString(),
        Corrections.sha256(file),
        version,
        "alice",
        "fix",
        FIELDS,
        VALUES,
        null);
  }

  private DataReport profile(DatasetRef d) {
    SplitResult split = new SplitResult(d, d, 0, 0, Map.of());
    ArtifactRef predictions =
        store.writeLines(
            "predictions",
            "jsonl",
            List.of(
                "{\"input\":\"ticket 5\",\"expected\":{\"category\":\"billing\"},\"answer\":\"{\\\"category\\\":\\\"technical\\\"}\","
                    + "\"scored\":true,\"exact\":false}"));
    EvalResult baseline =
        new EvalResult("m", "test", 1, 1, Map.of("exact_match", 0.0), predictions);
    return new DataProfiler(store)
        .profile(
            new ProfileRequest(
                d,
                split,
                FIELDS,
                baseline,
                "exact_match",
                0.9,
                Map.of("category", "category"),
                VALUES));
  }

  private static List<Integer> rows(DataReport r, String kind) {
    return r.problems().stream()
        .filter(p -> p.kind().equals(kind))
        .findFirst()
        .orElseThrow()
        .exampleRows();
  }

  private List<JsonNode> lines(String path) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(path))) {
      out.add(Rows.JSON.readTree(line));
    }
    return out;
  }

  @Test
  void theFlaggedRowsNameEachRowWithItsReasonsAndTheBaselinesAnswer() throws Exception {
    DataReport r = profile(data);

    List<JsonNode> flagged = lines(r.flagged().path());
    assertEquals(List.of(2, 3, 5, 7), flagged.stream().map(f -> f.get("row").asInt()).toList());
    assertEquals("[\"value_not_allowed\"]", flagged.get(0).get("reasons").toString());
    assertEquals("[\"empty_output\"]", flagged.get(1).get("reasons").toString());
    assertEquals("[\"baseline_wrong\"]", flagged.get(2).get("reasons").toString());
    assertEquals("{\"category\":\"technical\"}", flagged.get(2).get("baseline").asText());
    assertEquals("ticket 7", flagged.get(3).get("input").asText());
    assertEquals(4, r.flagged().rows());
    // The file reads as a dataset too: what a stronger model is asked to label.
    assertEquals("ticket 2", Rows.read(store, r.flagged()).get(0).input());
  }

  @Test
  void correctionsMakeAVersionWithLineageAndRowsKeepTheirNumbers() throws Exception {
    Path fixed =
        file(
            "{\"row\": 2, \"input\": \"ticket 2\", \"action\": \"relabel\","
                + " \"output\": {\"category\": \"billing\"}, \"reason\": \"typo of billing\"}",
            "{\"row\": 3, \"action\": \"exclude\", \"reason\": \"no answer given\"}",
            "",
            "{\"row\": 5, \"action\": \"accept\", \"suggested\": {\"category\": \"technical\"},"
                + " \"reason\": \"the suggestion is right\"}",
            "{\"row\": 7, \"action\": \"keep\", \"reason\": \"\"}");

    CorrectionResult v2 = Corrections.apply(store, request(data, fixed, 2));

    assertEquals(2, v2.version());
    assertEquals(2, v2.relabeled());
    assertEquals(1, v2.excluded());
    assertEquals(
        11, v2.data().rows(), "row 3 excluded, listed in the lineage, not dropped silently");
    List<Row> rows = Rows.read(store, v2.data());
    assertEquals(label("billing"), rows.get(1).output());
    assertEquals("ticket 4", rows.get(2).input());
    assertEquals(label("technical"), rows.get(3).output());
    assertEquals(List.of(1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12), ids(v2.data()));
    JsonNode lineage = Rows.JSON.readTree(Files.readString(Path.of(v2.lineage().path())));
    assertEquals(data.sha256(), lineage.at("/parent/sha256").asText());
    assertEquals(v2.data().sha256(), lineage.at("/data/sha256").asText());
    assertEquals("alice", lineage.get("by").asText());
    assertEquals(Corrections.sha256(fixed), lineage.at("/corrections/sha256").asText());
    assertEquals(Files.readString(fixed), Files.readString(Path.of(v2.corrections().path())));
    JsonNode changes = lineage.get("changes");
    assertEquals(3, changes.size());
    assertEquals("relabel", changes.get(0).get("action").asText());
    assertEquals("ecstatic", changes.get(0).at("/before/category").asText());
    assertEquals("billing", changes.get(0).at("/after/category").asText());
    assertEquals("typo of billing", changes.get(0).get("reason").asText());
    assertEquals("exclude", changes.get(1).get("action").asText());
    assertFalse(changes.get(1).has("after"));
    assertEquals("accept", changes.get(2).get("action").asText());

    // The next report names rows as the first did; the problems fixed are gone.
    DataReport again = profile(v2.data());
    assertEquals(0, again.count(DataProblem.VALUE_NOT_ALLOWED));
    assertEquals(0, again.count(DataProblem.EMPTY_OUTPUT));
    assertEquals(List.of(7), rows(again, DataProblem.RARE_VALUE));

    // And a second round works on those numbers; an excluded row is gone.
    CorrectionResult v3 =
        Corrections.apply(
            store,
            request(
                v2.data(),
                file("{\"row\": 7, \"action\": \"exclude\", \"reason\": \"one-off category\"}"),
                3));
    assertEquals(List.of(1, 2, 4, 5, 6, 8, 9, 10, 11, 12), ids(v3.data()));
    ApplicationFailure gone =
        assertThrows(
            ApplicationFailure.class,
            () ->
                Corrections.apply(
                    store,
                    request(
                        v3.data(),
                        file("{\"row\": 3, \"action\": \"exclude\", \"reason\": \"again\"}"),
                        4)));
    assertTrue(gone.getOriginalMessage().contains(":1: field 'row': no row 3"), gone.getMessage());
  }

  @Test
  void everyBadLineIsNamedWithItsFieldAndNothingIsWritten() throws Exception {
    Path bad =
        file(
            "{\"row\": 1, \"action\": \"relable\", \"reason\": \"x\"}",
            "not json",
            "{\"action\": \"exclude\", \"reason\": \"x\"}",
            "{\"row\": 2, \"action\": \"relabel\", \"reason\": \"x\"}",
            "{\"row\": 4, \"action\": \"exclude\"}",
            "{\"row\": 5, \"action\": \"relabel\", \"output\": {\"category\": \"ecstatic\"},"
                + " \"reason\": \"x\"}",
            "{\"row\": 6, \"action\": \"exclude\", \"reason\": \"x\"}",
            "{\"row\": 6, \"action\": \"relabel\", \"output\": {\"category\": \"billing\"},"
                + " \"reason\": \"x\"}",
            "{\"row\": 8, \"input\": \"another ticket\", \"action\": \"exclude\", \"reason\": \"x\"}",
            "{\"row\": 9, \"action\": \"accept\", \"reason\": \"x\"}",
            "{\"row\": 99, \"action\": \"exclude\", \"reason\": \"x\"}",
            "{\"row\": \"1\", \"action\": \"exclude\", \"reason\": \"x\"}",
            "{\"row\": 7, \"action\": \"relabel\", \"output\": {\"category\": \"billing\","
                + " \"mood\": \"sad\"}, \"reason\": \"x\"}");
    long before = filesIn(dir.resolve("store"));

    ApplicationFailure e =
        assertThrows(
            ApplicationFailure.class, () -> Corrections.apply(store, request(data, bad, 2)));

    String m = e.getOriginalMessage();
    assertTrue(m.startsWith("12 problem(s) in the corrections, nothing applied:"), m);
    String f = bad.toString();
    for (String expected :
        List.of(
            f
                + ":1: field 'action': expected one of keep, relabel, accept, exclude, was \"relable\"",
            f + ":2: not valid JSON",
            f + ":3: field 'row': expected the row's number",
            f
                + ":4: field 'output': a relabel needs the new answer, expected an object with category",
            f + ":5: field 'reason': every exclude needs one",
            f + ":6: field 'output.category': \"ecstatic\" is not one of the spec's values",
            f + ":13: field 'output.mood': not an output field (expected category)",
            f + ":8: row 6 is already corrected on line 7",
            f + ":9: field 'input': not row 8's input",
            f + ":10: field 'suggested': no suggestion to accept",
            f + ":11: field 'row': no row 99",
            f + ":12: field 'row': expected the row's number (as in the export), was \"1\"")) {
      assertTrue(m.contains(expected), "missing <" + expected + "> in:\n" + m);
    }
    assertTrue(e.isNonRetryable());
    assertEquals(before, filesIn(dir.resolve("store")), "no version, no lineage written");
  }

  @Test
  void aFileChangedSinceSentAnEmptyOneAndATextTasksObjectAreRefused() throws Exception {
    Path fixed = file("{\"row\": 3, \"action\": \"exclude\", \"reason\": \"empty\"}");
    CorrectionRequest sent = request(data, fixed, 2);
    Files.writeString(fixed, "{\"row\": 4, \"action\": \"exclude\", \"reason\": \"other\"}\n");
    assertTrue(
        assertThrows(ApplicationFailure.class, () -> Corrections.apply(store, sent))
            .getOriginalMessage()
            .contains("changed since it was sent"));

    Path keepOnly = file("{\"row\": 3, \"action\": \"keep\"}");
    assertTrue(
        assertThrows(
                ApplicationFailure.class,
                () -> Corrections.apply(store, request(data, keepOnly, 2)))
            .getOriginalMessage()
            .contains("no corrections (every line says keep)"));

    DatasetRef text =
        Rows.write(store, "train", List.of(new Row("hello", TextNode.valueOf("hi there"))));
    Path object =
        file("{\"row\": 1, \"action\": \"relabel\", \"output\": {\"a\": 1}, \"reason\": \"x\"}");
    CorrectionRequest onText =
        new CorrectionRequest(
            text,
            object.toString(),
            Corrections.sha256(object),
            2,
            "bob",
            null,
            List.of(),
            null,
            "text");
    assertTrue(
        assertThrows(ApplicationFailure.class, () -> Corrections.apply(store, onText))
            .getOriginalMessage()
            .contains("field 'output': expected the answer's text, was {\"a\":1}"));
    Path missing = dir.resolve("nowhere.jsonl");
    CorrectionRequest gone =
        new CorrectionRequest(data, missing.toString(), "x", 2, "bob", null, FIELDS, VALUES, null);
    assertTrue(
        assertThrows(ApplicationFailure.class, () -> Corrections.apply(store, gone))
            .getOriginalMessage()
            .contains("no such file (the worker reads it"));
  }

  private List<Integer> ids(DatasetRef d) {
    List<Integer> ids = new ArrayList<>();
    try (Rows.RowStream rows = Rows.each(store, d)) {
      rows.forEach(x -> ids.add(x.id()));
    }
    return ids;
  }

  private static long filesIn(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).count();
    }
  }
}
