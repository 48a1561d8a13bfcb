package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.TextNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report users and tools read: the same JSON and Markdown, field for field. */
class DataProfilerTest {
  @TempDir Path dir;

  private static Row row(String input, String category, String priority) {
    return new Row(
        input, Rows.JSON.createObjectNode().put("category", category).put("priority", priority));
  }

  @Test
  void reportIsTheSameJsonAndMarkdownAsBefore() throws Exception {
    ArtifactStore store = new ArtifactStore(dir);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(row("ticket " + i + " " + "x".repeat(i), i % 3 == 0 ? "billing" : "tech", "low"));
    }
    rows.add(row("Ticket  1 x", "account", "low")); // a duplicate that disagrees
    rows.add(row("refund please", "Billing ", "high")); // a typo of billing
    rows.add(row("refund now", "billing", "")); // an empty output
    DatasetRef data = Rows.write(store, "train", rows);
    DatasetRef train = Rows.write(store, "train-part", rows.subList(0, 25));
    DatasetRef test = Rows.write(store, "test-part", rows.subList(25, rows.size()));
    Map<String, Integer> evalSetLeaks = new LinkedHashMap<>();
    evalSetLeaks.put("corner-cases", 2);
    evalSetLeaks.put("clean", 0);
    SplitResult split = new SplitResult(train, test, 1, 0, evalSetLeaks);
    ArtifactRef predictions =
        store.writeLines(
            "predictions",
            "jsonl",
            () ->
                List.of(
                        "{\"input\":\"refund now\",\"expected\":{\"category\":\"billing\"},"
                            + "\"answer\":\"nope\",\"valid\":false,\"scored\":true,\"exact\":false}",
                        "{\"input\":\"ticket 1 x\",\"expected\":{\"category\":\"tech\"},"
                            + "\"answer\":\"{}\",\"valid\":true,\"scored\":true,\"exact\":true}",
                        "{\"input\":\"unlabeled\",\"expected\":null,"
                            + "\"answer\":\"{}\",\"valid\":true,\"scored\":false,\"exact\":false}")
                    .iterator());
    EvalResult baseline =
        new EvalResult(
            "m",
            "test",
            3,
            2,
            Map.of("exact_match", 0.125, "invalid_output_rate", 0.75),
            predictions);

    DataReport r =
        new DataProfiler(store)
            .profile(
                new ProfileRequest(
                    data, split, List.of("category", "priority"), baseline, "exact_match", 0.9));

    if (Boolean.getBoolean("finetune.recordGoldens")) {
      Path goldens = Path.of("src/test/resources/dataset");
      Files.writeString(goldens.resolve("data-report.json"), read(r.json(), data));
      Files.writeString(goldens.resolve("data-report.md"), read(r.markdown(), data));
    }
    assertEquals(golden("data-report.json"), read(r.json(), data));
    assertEquals(golden("data-report.md"), read(r.markdown(), data));
  }

  @Test
  void textAnswersAreProfiledWithoutLabels() throws Exception {
    ArtifactStore store = new ArtifactStore(dir);
    List<Row> rows =
        List.of(
            new Row("reset my password", TextNode.valueOf("Open Settings.")),
            new Row("Reset my password!", TextNode.valueOf("Use the link.")), // disagrees
            new Row("where is my refund", TextNode.valueOf(" ")));
    DatasetRef data = Rows.write(store, "train", rows);
    SplitResult split = new SplitResult(data, data, 1, 0, Map.of());
    ArtifactRef predictions =
        store.writeLines(
            "predictions",
            "jsonl",
            () ->
                List.of(
                        "{\"input\":\"reset my password\",\"expected\":\"Open Settings.\","
                            + "\"answer\":\"reset my password\",\"scored\":true,\"exact\":false,"
                            + "\"chrf\":0.1}")
                    .iterator());
    EvalResult baseline = new EvalResult("m", "test", 1, 1, Map.of("chrf", 0.1), predictions);

    DataReport r =
        new DataProfiler(store)
            .profile(new ProfileRequest(data, split, List.of(), baseline, "chrf", 0.9));

    assertEquals(3, r.rows());
    assertEquals(1, r.emptyOutputs());
    assertEquals(1, r.duplicateRows());
    assertEquals(0, r.suspiciousLabels());
    assertEquals(1, r.baselineFailures());
  }

  /** The report with the dataset's path, which changes from run to run, made constant. */
  private static String read(ArtifactRef ref, DatasetRef data) throws Exception {
    return Files.readString(Path.of(ref.path())).replace(data.path(), "<dataset>");
  }

  private static String golden(String name) throws Exception {
    try (InputStream in = DataProfilerTest.class.getResourceAsStream("/dataset/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
