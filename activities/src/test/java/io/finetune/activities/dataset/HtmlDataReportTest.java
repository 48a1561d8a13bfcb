package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML data report: its charts' numbers are the data's, the confusion matrix is the baseline's
 * answers counted, and no text from the data can become markup.
 */
class HtmlDataReportTest {
  @TempDir Path dir;

  private static final String EVIL = "<script>alert('x')</script> & \"quoted\"";

  private static Row row(String input, String category) {
    return new Row(input, Rows.JSON.createObjectNode().put("category", category));
  }

  private static String prediction(String expected, String answer, boolean scored) {
    var line = Rows.JSON.createObjectNode();
    line.put("input", "ticket about " + expected);
    line.putObject("expected").put("category", expected);
    line.put("answer", answer);
    line.put("scored", scored);
    line.put("exact", answer.contains("\"" + expected + "\""));
    return line.toString();
  }

  @Test
  void chartsAndConfusionMatrixShowTheDataAndTheBaselinesAnswers() throws Exception {
    ArtifactStore store = new ArtifactStore(dir);
    List<Row> rows = new ArrayList<>();
    // 6 billing, 4 tech, 3 account (one of them with markup in its input and its label), inputs of
    // known lengths.
    for (int i = 0; i < 6; i++) {
      rows.add(row("b".repeat(10 + i), "billing"));
    }
    for (int i = 0; i < 4; i++) {
      rows.add(row("t".repeat(40 + i), "tech"));
    }
    rows.add(row("a".repeat(50), "account"));
    rows.add(row("a".repeat(51), "account"));
    rows.add(row("a".repeat(52), "account"));
    rows.add(row(EVIL, EVIL)); // a rare value with markup, in the label chart and the problems
    rows.add(row("b".repeat(10), "billing")); // an exact duplicate of row 1: a flagged row
    DatasetRef data = Rows.write(store, "train", rows);
    SplitResult split = new SplitResult(data, data, 1, 0, Map.of());
    ArtifactRef predictions =
        store.writeLines(
            "predictions",
            "jsonl",
            List.of(
                // billing: 2 right, 1 said tech, 1 in a code fence (lenient: right), 1 not JSON
                prediction("billing", "{\"category\":\"billing\"}", true),
                prediction("billing", "{\"category\":\"billing\"}", true),
                prediction("billing", "{\"category\":\"tech\"}", true),
                prediction("billing", "```json\n{\"category\": \"billing\"}\n```", true),
                prediction("billing", "I think billing", true),
                // tech: 1 right, 1 without the field
                prediction("tech", "{\"category\":\"tech\"}", true),
                prediction("tech", "{\"priority\":\"low\"}", true),
                // account: answered with markup
                prediction(
                    "account", "{\"category\":\"" + EVIL.replace("\"", "\\\"") + "\"}", true),
                // unscored rows do not count
                prediction("account", "{\"category\":\"account\"}", false)));
    EvalResult baseline =
        new EvalResult("m", "test", 9, 8, Map.of("exact_match", 0.375), predictions);

    DataReport r =
        new DataProfiler(store)
            .profile(
                new ProfileRequest(
                    data,
                    split,
                    List.of("category"),
                    baseline,
                    "exact_match",
                    0.9,
                    Map.of("category", "category")));

    assertNotNull(r.html(), "the report references its HTML page");
    assertTrue(Files.isRegularFile(Path.of(r.flagged().path())), "and its flagged rows");
    Path page = Path.of(r.html().path());
    assertTrue(Files.isRegularFile(page));
    assertTrue(r.html().path().endsWith(".html"), r.html().path());
    String html = Files.readString(page);

    // Self-contained: no script, nothing loaded from elsewhere.
    assertFalse(html.contains("<script"), "no script, and markup from the data escaped");
    assertFalse(html.matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing from elsewhere");
    assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;"));

    // One chart per category field plus the histogram.
    assertEquals(2, count(html, "<svg "));
    assertEquals(
        1, count(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart labels\""));
    assertEquals(1, count(html, "class=\"chart histogram\""));

    // The label chart's bars: the data's counts, the most common first.
    Map<String, Integer> bars = new LinkedHashMap<>();
    Matcher bar =
        Pattern.compile("<g class=\"bar\" data-label=\"([^\"]*)\" data-count=\"(\\d+)\"")
            .matcher(html);
    while (bar.find()) {
      bars.put(unescape(bar.group(1)), Integer.parseInt(bar.group(2)));
    }
    assertEquals(List.of("billing", "tech", "account", EVIL), List.copyOf(bars.keySet()));
    assertEquals(List.of(7, 4, 3, 1), List.copyOf(bars.values()));

    // The histogram: every row in exactly one bin, each bin the rows whose length is in it.
    List<Integer> lengths = rows.stream().map(x -> x.input().length()).toList();
    Matcher bin =
        Pattern.compile("data-from=\"(\\d+)\" data-to=\"(\\d+)\" data-count=\"(\\d+)\"")
            .matcher(html);
    int binned = 0;
    int bins = 0;
    while (bin.find()) {
      int from = Integer.parseInt(bin.group(1));
      int to = Integer.parseInt(bin.group(2));
      long expected = lengths.stream().filter(n -> n >= from && n <= to).count();
      assertEquals(expected, Integer.parseInt(bin.group(3)), "bin " + from + ".." + to);
      binned += Integer.parseInt(bin.group(3));
      bins++;
    }
    assertEquals(rows.size(), binned);
    assertTrue(bins > 1 && bins <= 20, bins + " bins");

    // The confusion matrix: expected -> predicted -> rows, over the scored predictions.
    Map<String, Map<String, Integer>> cells = new TreeMap<>();
    Matcher cell =
        Pattern.compile(
                "<td data-expected=\"([^\"]*)\" data-predicted=\"([^\"]*)\" data-count=\"(\\d+)\"")
            .matcher(html);
    while (cell.find()) {
      int n = Integer.parseInt(cell.group(3));
      if (n > 0) {
        cells
            .computeIfAbsent(unescape(cell.group(1)), k -> new TreeMap<>())
            .put(unescape(cell.group(2)), n);
      }
    }
    assertEquals(
        Map.of(
            "billing", Map.of("billing", 3, "tech", 1, HtmlDataReport.INVALID, 1),
            "tech", Map.of("tech", 1, HtmlDataReport.MISSING, 1),
            "account", Map.of(EVIL, 1)),
        cells);
    assertEquals(1, count(html, "<table class=\"confusion\" data-field=\"category\">"));

    // The flagged rows: the duplicate's first row shown with its input; the baseline's failures.
    assertTrue(html.contains("<tr><td>15</td><td>bbbbbbbbbb</td>"), "row 15 is a duplicate");
    assertTrue(html.contains("<table class=\"baseline-failures\">"));
    assertTrue(html.contains("I think billing"));
    // The summary's figures.
    assertTrue(
        html.contains("<td>15</td><td>15</td><td>15</td><td>" + r.duplicateRows() + "</td>"));
  }

  @Test
  void answersAreReadLeniently() {
    assertEquals("a", HtmlDataReport.lenientObject("{\"c\":\"a\"}").get("c").asText());
    assertEquals(
        "a", HtmlDataReport.lenientObject("Sure: {\"c\": \"a\"} hope it helps").get("c").asText());
    assertNull(HtmlDataReport.lenientObject("[1, 2]"));
    assertNull(HtmlDataReport.lenientObject("no json {here"));
    assertNull(HtmlDataReport.lenientObject(null));
  }

  @Test
  void escapingLeavesNoMarkup() {
    assertEquals(
        "&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;\uFFFD",
        HtmlDataReport.esc("<b a=\"1\" b='2'>&\u0001"));
  }

  private static int count(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  private static String unescape(String s) {
    return s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
  }
}
