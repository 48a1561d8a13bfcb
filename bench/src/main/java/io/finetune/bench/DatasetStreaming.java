package io.finetune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.DatasetActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The dataset stages on a file of any size, in this JVM (run it with a small {@code -Xmx}): a
 * seeded ticket-triage-shaped JSONL of the size asked for (with repeated inputs and a few
 * problems), then import, split and the data report as the worker runs them. Prints per stage the
 * rows, the rows per second and the peak heap so far; a stage that held the dataset would run out
 * of memory.
 *
 * <pre>java -Xmx256m -cp ... io.finetune.bench.DatasetStreaming DIR MEGABYTES</pre>
 */
public final class DatasetStreaming {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> CATEGORIES =
      List.of("billing", "technical", "account", "shipping");
  private static final List<String> PRIORITIES = List.of("urgent", "high", "medium", "low");
  private static final List<String> OPENINGS =
      List.of("Hello team,", "Hi,", "Good morning,", "Hey,", "Dear support,");
  private static final List<String> ASKS =
      List.of(
          "my invoice shows the wrong amount",
          "the app crashes when I open settings",
          "I forgot my password and the reset email never arrives",
          "my package has not arrived yet",
          "I was charged twice this month",
          "the export button gives an error",
          "I cannot change my profile picture",
          "the tracking number does not work");

  private DatasetStreaming() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long megabytes = Long.parseLong(args[1]);
    Path file = dir.resolve("large.jsonl");
    long started = System.nanoTime();
    long rows = generate(file, megabytes * 1024 * 1024, 42);
    System.out.printf(
        Locale.ROOT,
        "generated %s: %d rows, %.0f MB in %.1f s%n",
        file,
        rows,
        Files.size(file) / 1048576.0,
        seconds(started));

    ArtifactStore store = new ArtifactStore(dir.resolve("store"));
    DatasetActivitiesImpl datasets = new DatasetActivitiesImpl(store);
    long t = System.nanoTime();
    DatasetRef data =
        datasets.importDataset(
            new ImportRequest(
                "train",
                file.toString(),
                "input",
                "output",
                List.of("category", "priority"),
                true));
    stage("import", data.rows(), t);

    t = System.nanoTime();
    SplitResult split = datasets.split(new SplitRequest(data, 0.1, 7, List.of(), 0.05));
    stage("split", data.rows(), t);

    // A small baseline: the data report reads its predictions, not the model's answers at scale.
    ArtifactRef predictions =
        store.writeLines(
            "predictions",
            "jsonl",
            List.of(
                "{\"input\":\"x\",\"expected\":{\"category\":\"billing\",\"priority\":\"low\"},"
                    + "\"answer\":\"{}\",\"scored\":true,\"exact\":false}"));
    EvalResult baseline =
        new EvalResult("m", "test", 1, 1, Map.of("exact_match", 0.5), predictions);
    t = System.nanoTime();
    DataReport report =
        datasets.profile(
            new ProfileRequest(
                data,
                split,
                List.of("category", "priority"),
                baseline,
                "exact_match",
                0.9,
                Map.of("category", "category", "priority", "category"),
                Map.of("category", CATEGORIES, "priority", PRIORITIES)));
    stage("profile", data.rows(), t);
    System.out.printf(
        Locale.ROOT,
        "split: train %d, test %d, validation %d, repeated inputs %d; report: %d flagged rows%n",
        split.train().rows(),
        split.test().rows(),
        split.validation() == null ? 0 : split.validation().rows(),
        split.duplicateRows(),
        report.flagged().rows());
    System.out.printf(
        Locale.ROOT,
        "RESULT rows=%d mb=%.0f max_heap_mb=%d peak_heap_mb=%d%n",
        data.rows(),
        Files.size(file) / 1048576.0,
        Runtime.getRuntime().maxMemory() / 1048576,
        peakHeap() / 1048576);
  }

  private static void stage(String name, long rows, long startedNanos) {
    double s = seconds(startedNanos);
    System.out.printf(
        Locale.ROOT,
        "STAGE %s rows=%d seconds=%.1f rows_per_s=%.0f peak_heap_mb=%d%n",
        name,
        rows,
        s,
        rows / s,
        peakHeap() / 1048576);
  }

  private static double seconds(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1e9;
  }

  /** The heap's peak use so far, over all its pools. */
  private static long peakHeap() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }

  /**
   * A seeded ticket-triage-shaped JSONL of about {@code bytes}: every 50th input repeats an earlier
   * one, every 1,000th row lacks its priority.
   */
  static long generate(Path file, long bytes, long seed) throws IOException {
    Random random = new Random(seed);
    long rows = 0;
    long written = 0;
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      while (written < bytes) {
        long id = rows % 50 == 49 ? random.nextInt((int) Math.max(1, rows)) : rows;
        Random row = new Random(seed * 1_000_003 + id);
        ObjectNode line = JSON.createObjectNode();
        line.put(
            "input",
            pick(row, OPENINGS) + " " + pick(row, ASKS) + ". Order #" + (10_000 + id) + ". Thanks");
        ObjectNode output = line.putObject("output").put("category", pick(row, CATEGORIES));
        if (rows % 1000 != 999) {
          output.put("priority", pick(row, PRIORITIES));
        }
        String text = JSON.writeValueAsString(line);
        w.write(text);
        w.write('\n');
        written += text.length() + 1;
        rows++;
      }
    }
    return rows;
  }

  private static String pick(Random random, List<String> options) {
    return options.get(random.nextInt(options.size()));
  }
}
