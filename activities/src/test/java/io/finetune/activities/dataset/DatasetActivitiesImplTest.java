package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetActivitiesImplTest {
  @TempDir Path dir;
  private ArtifactStore store;
  private DatasetActivitiesImpl activities;

  @BeforeEach
  void setUp() {
    store = new ArtifactStore(dir.resolve("store"));
    activities = new DatasetActivitiesImpl(store);
  }

  private Path file(String name, String... lines) throws IOException {
    return Files.write(dir.resolve(name), List.of(lines));
  }

  private DatasetRef importFile(Path p, boolean labelsRequired) {
    return importFile(p, labelsRequired, "train");
  }

  private DatasetRef importFile(Path p, boolean labelsRequired, String name) {
    return activities.importDataset(
        new ImportRequest(
            name, p.toString(), "text", "label", List.of("category"), labelsRequired));
  }

  @Test
  void badRowsFailTheImportWithFileLineAndFieldAndWriteNothing() throws IOException {
    Path p =
        file(
            "bad.jsonl",
            "{\"text\": \"ok\", \"label\": {\"category\": \"a\"}}",
            "{\"text\": \"no label\"}",
            "not json",
            "{\"txt\": \"typo\", \"label\": {\"category\": \"a\"}}",
            "{\"text\": \"x\", \"label\": \"a\"}");

    ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> importFile(p, true));

    assertTrue(f.isNonRetryable());
    assertEquals(Failures.INVALID_INPUT, f.getType());
    String m = f.getOriginalMessage();
    assertTrue(m.contains("has 4 unreadable row(s); nothing was imported"), m);
    assertTrue(
        m.contains(p + ":2: field 'label' is missing (expected an object with category)"), m);
    assertTrue(m.contains(p + ":3: not valid JSON"), m);
    assertTrue(m.contains(p + ":4: field 'text' is missing or not a string"), m);
    assertTrue(m.contains(p + ":5: field 'label' must be an object with category, was string"), m);
    assertFalse(Files.exists(dir.resolve("store/datasets")), "no partial output");
  }

  @Test
  void unlabeledRowsAreFineWhereLabelsAreOptional() throws IOException {
    Path p =
        file(
            "batch.jsonl",
            "{\"text\": \"a\"}",
            "",
            "{\"text\": \"b\", \"label\": {\"category\": \"x\"}}");
    DatasetRef ref = importFile(p, false);
    assertEquals(2, ref.rows());
    assertEquals(1, ref.labeledRows());
  }

  @Test
  void importIsContentAddressedAndIdempotent() throws IOException {
    Path p = file("ok.jsonl", "{\"text\": \"a\", \"label\": {\"category\": \"x\"}}");
    DatasetRef first = importFile(p, true);
    DatasetRef again = importFile(p, true);
    assertEquals(first, again);
    assertTrue(first.path().endsWith(first.sha256() + ".jsonl"));
    assertEquals(
        ArtifactStore.sha256Hex(Files.readAllBytes(Path.of(first.path()))), first.sha256());
  }

  private DatasetRef dataset(int n) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // Every 10th row repeats an earlier one (in other case and spacing).
      String text = i % 10 == 9 ? "TICKET  number " + (i - 1) : "ticket number " + i;
      lines.add("{\"text\": \"" + text + "\", \"label\": {\"category\": \"c" + (i % 3) + "\"}}");
    }
    return importFile(Files.write(dir.resolve("d" + n + ".jsonl"), lines), true);
  }

  @Test
  void splitIsSeededStableAndKeepsDuplicatesOnOneSide() throws IOException {
    DatasetRef data = dataset(1000);
    DatasetRef corner =
        importFile(
            file(
                "corner.jsonl",
                "{\"text\": \"Ticket number 4\", \"label\": {\"category\": \"c1\"}}"),
            true,
            "corner-cases");
    SplitResult a = activities.split(new SplitRequest(data, 0.1, 7, List.of(corner)));
    SplitResult b = activities.split(new SplitRequest(data, 0.1, 7, List.of(corner)));
    SplitResult other = activities.split(new SplitRequest(data, 0.1, 8, List.of(corner)));

    assertEquals(a, b, "same data and seed, same split");
    assertTrue(a.test().rows() >= 100 && a.test().rows() <= 102, "test rows " + a.test().rows());
    assertEquals(100, a.duplicateRows());
    assertEquals(0, a.trainTestLeaks());
    Set<String> train = new HashSet<>();
    Rows.read(store, a.train()).forEach(r -> train.add(Rows.normalize(r.input())));
    assertTrue(
        Rows.read(store, a.test()).stream()
            .noneMatch(r -> train.contains(Rows.normalize(r.input()))));
    assertFalse(a.test().sha256().equals(other.test().sha256()), "another seed, another test set");
    // The corner case's input is in the data: unless the test set has it, it is kept out.
    assertFalse(train.contains("ticket number 4"));
    assertEquals(Map.of("corner-cases", 0), a.evalSetLeaks());
    int kept = a.keptOutRows();
    assertEquals(1, kept, "ticket number 4 is not in this test set");
    assertEquals(Map.of("corner-cases", kept), a.keptOutOfTraining());
    assertEquals(1000, a.train().rows() + a.test().rows() + kept);
  }

  @Test
  void trainingRowsWhoseInputIsInAnEvalSetAreKeptOutAndListedNeverTrainedOn() throws IOException {
    DatasetRef data = dataset(1000);
    SplitResult plain = activities.split(new SplitRequest(data, 0.1, 7, List.of(), 0.1));
    Set<String> test = new HashSet<>();
    Rows.read(store, plain.test()).forEach(r -> test.add(Rows.normalize(r.input())));
    // Two eval sets sharing one input; ticket number 8 is in the data twice (TICKET  number 8).
    List<String> corner = new ArrayList<>();
    List<String> regressions = new ArrayList<>();
    for (int i = 0; i < 300; i += 4) {
      corner.add("{\"text\": \"Ticket-number " + i + "!\", \"label\": {\"category\": \"c1\"}}");
    }
    regressions.add("{\"text\": \"ticket number 8\", \"label\": {\"category\": \"c1\"}}");
    regressions.add("{\"text\": \"not in the data\", \"label\": {\"category\": \"c1\"}}");
    DatasetRef c = importFile(file("c.jsonl", corner.toArray(String[]::new)), true, "corner");
    DatasetRef g = importFile(file("g.jsonl", regressions.toArray(String[]::new)), true, "regr");

    SplitResult r = activities.split(new SplitRequest(data, 0.1, 7, List.of(c, g), 0.1));

    assertEquals(plain.test(), r.test(), "the test set is the same as without eval sets");
    Set<String> sealed = new HashSet<>(test);
    for (DatasetRef set : List.of(c, g)) {
      Rows.read(store, set).forEach(x -> sealed.add(Rows.normalize(x.input())));
    }
    List<Rows.Row> training = new ArrayList<>(Rows.read(store, r.train()));
    training.addAll(Rows.read(store, r.validation()));
    for (Rows.Row x : training) {
      assertFalse(sealed.contains(Rows.normalize(x.input())), "trained on: " + x.input());
    }
    assertEquals(Map.of("corner", 0, "regr", 0), r.evalSetLeaks());
    // Inputs 0, 4, ..., 296 (and the repeat of 8) minus those in the test set; none dropped.
    int expected = 0;
    for (int i = 0; i < 300; i += 4) {
      String key = "ticket number " + i;
      expected += test.contains(key) ? 0 : i % 10 == 8 ? 2 : 1;
    }
    assertEquals(expected, r.keptOutRows());
    assertEquals(1000, r.train().rows() + r.test().rows() + r.validation().rows() + expected);
    List<String> lines = Files.readAllLines(Path.of(r.keptOut().path()));
    assertEquals(expected, lines.size());
    int eights = test.contains("ticket number 8") ? 0 : 2;
    assertEquals(Map.of("corner", expected, "regr", eights), r.keptOutOfTraining());
    if (eights > 0) {
      assertTrue(
          lines.stream()
              .anyMatch(l -> l.contains("ticket number 8") && l.contains("[\"corner\",\"regr\"]")),
          lines.toString());
    }
    assertEquals(r, activities.split(new SplitRequest(data, 0.1, 7, List.of(c, g), 0.1)));
  }

  @Test
  void aValidationSetComesFromTheTrainingRowsAndLeavesTheTestSetAsItWas() throws IOException {
    DatasetRef data = dataset(1000);
    SplitResult without = activities.split(new SplitRequest(data, 0.1, 7, List.of()));
    SplitResult with = activities.split(new SplitRequest(data, 0.1, 7, List.of(), 0.1));

    assertNull(without.validation());
    assertEquals(without.test(), with.test(), "the test set does not move");
    int v = with.validation().rows();
    assertTrue(v >= 100 && v <= 102, "validation rows " + v);
    assertEquals(1000, with.train().rows() + with.test().rows() + v);
    // No input in two of the three sets: duplicates stay together.
    Set<String> train = new HashSet<>();
    Rows.read(store, with.train()).forEach(r -> train.add(Rows.normalize(r.input())));
    Set<String> test = new HashSet<>();
    Rows.read(store, with.test()).forEach(r -> test.add(Rows.normalize(r.input())));
    for (var row : Rows.read(store, with.validation())) {
      String key = Rows.normalize(row.input());
      assertFalse(train.contains(key) || test.contains(key), "leaked: " + key);
    }
    assertEquals(with, activities.split(new SplitRequest(data, 0.1, 7, List.of(), 0.1)));
  }

  @Test
  void profileReportsWhatAReviewerNeedsAndDropsNothing() throws IOException {
    Path p =
        file(
            "p.jsonl",
            "{\"text\": \"a\", \"label\": {\"category\": \"billing\"}}",
            "{\"text\": \"b\", \"label\": {\"category\": \"billing\"}}",
            "{\"text\": \"c\", \"label\": {\"category\": \"Billing \"}}",
            "{\"text\": \"d\", \"label\": {\"category\": \"\"}}",
            "{\"text\": \"A\", \"label\": {\"category\": \"tech\"}}");
    DatasetRef data = importFile(p, true);
    SplitResult split = activities.split(new SplitRequest(data, 0.1, 1, List.of()));
    ArtifactRef predictions =
        store.write(
            "predictions",
            "jsonl",
            out ->
                out.write(
                    ("{\"input\":\"a\",\"expected\":{\"category\":\"billing\"},\"answer\":\"{}\","
                            + "\"scored\":true,\"exact\":false}\n")
                        .getBytes(StandardCharsets.UTF_8)));
    EvalResult baseline =
        new EvalResult("m", "test", 1, 1, Map.of("exact_match", 0.1), predictions);

    DataReport r =
        activities.profile(
            new ProfileRequest(data, split, List.of("category"), baseline, "exact_match", 0.9));

    assertEquals(5, r.rows());
    assertEquals(0, r.rowsRemovedByFilters());
    assertEquals(1, r.emptyOutputs());
    assertEquals(1, r.suspiciousLabels());
    assertEquals(1, r.duplicateRows());
    assertEquals(1, r.baselineFailures());
    assertTrue(r.warnings().stream().anyMatch(w -> w.startsWith("Very poor prompt baseline")));
    assertTrue(r.warnings().stream().anyMatch(w -> w.contains("different labels")));
    String md = Files.readString(Path.of(r.markdown().path()));
    assertTrue(md.contains("| `Billing ` | 1 |"), md);
    assertTrue(md.contains("removed by filters"), md);
  }

  @Test
  void theDataReportListsTheRowsKeptOutOfTrainingAndWarnsOfNoLeak() throws IOException {
    DatasetRef data = dataset(200);
    SplitResult plain = activities.split(new SplitRequest(data, 0.1, 7, List.of()));
    // An eval set that repeats one training input (in other case and punctuation).
    String trained = Rows.read(store, plain.train()).get(0).input();
    DatasetRef set =
        importFile(
            file(
                "fresh.jsonl",
                "{\"text\": \""
                    + trained.toUpperCase(Locale.ROOT)
                    + "?\", \"label\": {\"category\": \"c1\"}}"),
            true,
            "fresh-holdout");
    SplitResult split = activities.split(new SplitRequest(data, 0.1, 7, List.of(set)));
    ArtifactRef predictions =
        store.write(
            "predictions",
            "jsonl",
            out ->
                out.write(
                    ("{\"input\":\"a\",\"expected\":{\"category\":\"c1\"},\"answer\":\"{}\","
                            + "\"scored\":true,\"exact\":false}\n")
                        .getBytes(StandardCharsets.UTF_8)));
    EvalResult baseline =
        new EvalResult("m", "test", 1, 1, Map.of("exact_match", 0.5), predictions);

    DataReport r =
        activities.profile(
            new ProfileRequest(data, split, List.of("category"), baseline, "exact_match", 0.9));

    assertEquals(Map.of("fresh-holdout", 0), split.evalSetLeaks());
    assertEquals(1, split.keptOutRows());
    assertTrue(
        r.warnings().stream().noneMatch(w -> w.contains("also occur in")), r.warnings().toString());
    assertTrue(
        r.warnings()
            .contains(
                "1 row(s) of the training data were kept out of training because they occur in"
                    + " eval set 'fresh-holdout' (listed in the data report; not dropped)."),
        r.warnings().toString());
    String md = Files.readString(Path.of(r.markdown().path()));
    assertTrue(md.contains("## Kept out of training"), md);
    assertTrue(md.contains("- " + trained + " (occurs in eval set fresh-holdout)"), md);
    assertTrue(md.contains(split.keptOut().path()), md);
    String json = Files.readString(Path.of(r.json().path()));
    assertTrue(json.contains("\"keptOutOfTraining\""), json);
    String html = Files.readString(Path.of(r.html().path()));
    assertTrue(html.contains("<h2>Kept out of training</h2>"), html);
    assertTrue(
        html.contains("<tr><td>" + HtmlDataReport.esc(trained) + "</td><td>fresh-holdout</td>"),
        html);
  }

  @Test
  void withInvalidRowsReviewedBadRowsAreKeptOutAndListedWithFileLineAndReason() throws IOException {
    Path p =
        file(
            "mixed.jsonl",
            "{\"text\": \"ok one\", \"label\": {\"category\": \"a\"}}",
            "{\"text\": \"no label\"}",
            "not json",
            "{\"text\": \"ok two\", \"label\": {\"category\": \"b\"}}");
    ImportRequest fail =
        new ImportRequest("train", p.toString(), "text", "label", List.of("category"), true);
    ImportRequest review =
        new ImportRequest(
            "train",
            p.toString(),
            "text",
            "label",
            List.of("category"),
            true,
            null,
            null,
            "review");

    assertThrows(ApplicationFailure.class, () -> activities.importDataset(fail));
    DatasetRef data = activities.importDataset(review);

    assertEquals(2, data.rows());
    assertEquals(2, data.invalidRows().rows());
    List<String> listed = Files.readAllLines(Path.of(data.invalidRows().path()));
    assertEquals(2, listed.size());
    assertTrue(listed.get(0).contains("\"line\":2"), listed.get(0));
    assertTrue(listed.get(0).contains("field 'label' is missing"), listed.get(0));
    assertTrue(listed.get(1).contains("\"line\":3") && listed.get(1).contains("not valid JSON"));
    assertEquals(data, activities.importDataset(review), "the same file, the same result");

    SplitResult split = activities.split(new SplitRequest(data, 0.5, 1, List.of()));
    assertEquals(2, split.train().rows() + split.test().rows(), "invalid rows are not trained on");
    ArtifactRef predictions =
        store.write(
            "predictions",
            "jsonl",
            out ->
                out.write(
                    ("{\"input\":\"ok one\",\"expected\":{\"category\":\"a\"},\"answer\":\"{}\","
                            + "\"scored\":true,\"exact\":false}\n")
                        .getBytes(StandardCharsets.UTF_8)));
    DataReport r =
        activities.profile(
            new ProfileRequest(
                data,
                split,
                List.of("category"),
                new EvalResult("m", "test", 1, 1, Map.of("exact_match", 0.5), predictions),
                "exact_match",
                0.9));
    assertTrue(
        r.warnings().stream()
            .anyMatch(w -> w.startsWith("2 row(s) of the dataset could not be read")),
        r.warnings().toString());
    String md = Files.readString(Path.of(r.markdown().path()));
    assertTrue(md.contains("## Invalid rows (kept out of training)"), md);
    assertTrue(md.contains("- `" + p + ":2`: field 'label' is missing"), md);
    assertTrue(md.contains("- `" + p + ":3`: not valid JSON"), md);
    String html = Files.readString(Path.of(r.html().path()));
    assertTrue(html.contains("<h2>Invalid rows (kept out of training)</h2>"), html);
    assertTrue(
        html.contains(
            "<tr><td><code>" + HtmlDataReport.esc(p.toString()) + "</code></td><td>3</td>"),
        html);

    Path none = file("none.jsonl", "not json");
    ImportRequest nothing =
        new ImportRequest(
            "train",
            none.toString(),
            "text",
            "label",
            List.of("category"),
            true,
            null,
            null,
            "review");
    assertThrows(ApplicationFailure.class, () -> activities.importDataset(nothing));
  }
}
