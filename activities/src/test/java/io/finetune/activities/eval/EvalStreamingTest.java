package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scoring streams: an eval of a dataset several times larger than the heap is scored in a JVM with
 * {@code -Xmx32m}. Holding its rows, answers or prediction lines would run out of memory.
 */
class EvalStreamingTest {
  private static final int ROWS = 200_000;
  @TempDir Path dir;

  @Test
  void aDatasetLargerThanTheHeapIsScoredInOnePass() throws Exception {
    Path data = dir.resolve("data.jsonl");
    Path answers = dir.resolve("answers.jsonl");
    try (BufferedWriter d = Files.newBufferedWriter(data, StandardCharsets.UTF_8);
        BufferedWriter a = Files.newBufferedWriter(answers, StandardCharsets.UTF_8)) {
      for (int i = 0; i < ROWS; i++) {
        d.write(
            "{\"input\":\"ticket "
                + i
                + ": my refund did not arrive in time, please look into it\",\"output\":"
                + "{\"category\":\""
                + (i % 4 == 0 ? "billing" : "account")
                + "\"}}\n");
        a.write(
            "{\"text\":\"{\\\"category\\\":\\\"billing\\\"}\",\"promptTokens\":10,"
                + "\"completionTokens\":3,\"latencyMillis\":"
                + (i % 100)
                + ".0}\n");
      }
    }
    assertTrue(Files.size(data) + Files.size(answers) > 32L << 20, "larger than the heap");

    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, TimeUnit.MINUTES), out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("scored " + ROWS + " rows, exact_match 0.25"), out);
  }

  /** Scores the files of {@link #aDatasetLargerThanTheHeapIsScoredInOnePass} in a small heap. */
  public static final class Main {
    public static void main(String[] args) {
      Path dir = Path.of(args[0]);
      ArtifactStore store = new ArtifactStore(dir.resolve("store"));
      DatasetRef data =
          new DatasetRef(
              "big", dir.resolve("data.jsonl").toString(), "0123456789abcdef", ROWS, ROWS);
      EvalResult r =
          new EvalScoring(store, null)
              .score(
                  new EvalRequest("p", "m", "prompt", data, List.of("category"))
                      .comparedWith("exact_match", null, null),
                  "workflow",
                  "run",
                  List.of(dir.resolve("answers.jsonl")),
                  null,
                  () -> {});
      System.out.println(
          "scored " + r.rows() + " rows, exact_match " + r.metrics().get("exact_match"));
    }
  }
}
