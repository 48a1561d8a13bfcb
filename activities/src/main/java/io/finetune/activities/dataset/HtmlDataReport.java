package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.dataset.DataProfiler.Invalid;
import io.finetune.activities.dataset.DataProfiler.InvalidRow;
import io.finetune.activities.dataset.DataProfiler.KeptOut;
import io.finetune.activities.dataset.DataProfiler.KeptOutRow;
import io.finetune.activities.dataset.DataProfiler.Report;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.dataset.DatasetActivities.DataProblem;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The data report as one self-contained HTML page: the same numbers as the Markdown report, plus
 * charts drawn here as inline SVG (label distributions, input lengths) and the prompt baseline's
 * confusion matrix per category field. No script, font or style sheet from anywhere else (the
 * page's Content-Security-Policy forbids them); every text from the data is escaped.
 *
 * <p>The numbers behind each chart are on its elements as {@code data-*} attributes ({@code
 * data-label}/{@code data-count} on a label bar, {@code data-from}/{@code data-to}/{@code
 * data-count} on a histogram bin, {@code data-expected}/{@code data-predicted}/{@code data-count}
 * on a confusion cell), so that tools and tests can read them back.
 */
final class HtmlDataReport {
  /** The predicted label of an answer that is not a JSON object. */
  static final String INVALID = "(invalid)";

  /** The label of a field an answer (or a row) does not have. */
  static final String MISSING = "(missing)";

  private static final int HISTOGRAM_BINS = 20;
  private static final int TEXT_SHOWN = 300;
  private static final int SVG_LABEL_SHOWN = 16;

  private HtmlDataReport() {}

  /**
   * The prompt baseline's answers for one category field: expected label, then predicted label,
   * then rows; over the scored rows of the predictions file.
   */
  record Confusion(String field, Map<String, Map<String, Integer>> counts) {
    int count(String expected, String predicted) {
      return counts.getOrDefault(expected, Map.of()).getOrDefault(predicted, 0);
    }

    Set<String> predicted() {
      Set<String> all = new TreeSet<>(counts.keySet());
      counts.values().forEach(m -> all.addAll(m.keySet()));
      return all;
    }
  }

  /** The confusion matrix of each of {@code fields} from the baseline's predictions file. */
  static List<Confusion> confusions(
      ArtifactStore store, ArtifactRef predictions, Iterable<String> fields) {
    Map<String, Map<String, Map<String, Integer>>> byField = new LinkedHashMap<>();
    fields.forEach(f -> byField.put(f, new TreeMap<>()));
    try (BufferedReader in =
        Files.newBufferedReader(store.existing(predictions.path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode p = Rows.JSON.readTree(line);
        JsonNode expected = p.path("expected");
        if (!p.path("scored").asBoolean() || !expected.isObject()) {
          continue;
        }
        JsonNode answer = lenientObject(p.path("answer").asText(null));
        byField.forEach(
            (f, counts) ->
                counts
                    .computeIfAbsent(label(expected.get(f)), k -> new TreeMap<>())
                    .merge(answer == null ? INVALID : label(answer.get(f)), 1, Integer::sum));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Confusion> out = new ArrayList<>();
    byField.forEach((f, counts) -> out.add(new Confusion(f, counts)));
    return out;
  }

  /** The answer as a JSON object: as written, or the outermost {...} in it; null if neither. */
  static JsonNode lenientObject(String answer) {
    if (answer == null) {
      return null;
    }
    JsonNode whole = parse(answer.strip());
    if (whole != null && whole.isObject()) {
      return whole;
    }
    int start = answer.indexOf('{');
    int end = answer.lastIndexOf('}');
    JsonNode inner = start >= 0 && end > start ? parse(answer.substring(start, end + 1)) : null;
    return inner != null && inner.isObject() ? inner : null;
  }

  private static JsonNode parse(String text) {
    try {
      return Rows.JSON.readTree(text);
    } catch (IOException e) {
      return null;
    }
  }

  private static String label(JsonNode value) {
    if (value == null || value.isNull() || value.isMissingNode()) {
      return MISSING;
    }
    return value.isTextual() ? value.asText() : value.toString();
  }

  /**
   * What the page shows of the rows themselves: the number of rows per input length, and the rows
   * each problem names first, by their number in the dataset.
   */
  record Sample(Map<Integer, Integer> lengths, Map<Integer, Row> rows) {}

  static String render(
      Report report, List<String> fields, Sample rows, List<Confusion> confusions) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
        .append(" style-src 'unsafe-inline'\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>Data report: ")
        .append(esc(report.dataset()))
        .append("</title>\n<style>")
        .append(CSS)
        .append("</style>\n</head>\n<body>\n<h1>Data report</h1>\n");
    summary(h, report);
    warnings(h, report);
    h.append("<h2>Labels and input lengths</h2>\n<div class=\"grid\">\n");
    labels(h, report, fields);
    inputLengths(h, report, rows);
    h.append("</div>\n");
    values(h, report, fields);
    baseline(h, report, confusions);
    problems(h, report, rows);
    baselineFailures(h, report);
    keptOut(h, report.keptOutOfTraining());
    invalid(h, report.invalidRows());
    return h.append("</body>\n</html>\n").toString();
  }

  private static void summary(StringBuilder h, Report report) {
    h.append("<p class=\"dataset\">Dataset <code>")
        .append(esc(report.dataset()))
        .append("</code> (sha256 <code>")
        .append(esc(report.sha256()))
        .append("</code>)</p>\n<table class=\"summary\">\n<tr><th>rows</th><th>train</th>")
        .append("<th>test</th><th>duplicates</th><th>empty outputs</th>")
        .append("<th>removed by filters</th><th>baseline score</th><th>baseline failures</th>")
        .append("</tr>\n<tr>");
    for (Object v :
        List.of(
            report.rows(),
            report.trainRows(),
            report.testRows(),
            report.duplicateRows(),
            report.emptyOutputs(),
            report.rowsRemovedByFilters(),
            String.format(Locale.ROOT, "%.3f", report.baselineScore()),
            report.baselineFailureCount())) {
      h.append("<td>").append(v).append("</td>");
    }
    h.append("</tr>\n</table>\n");
  }

  private static void warnings(StringBuilder h, Report report) {
    h.append("<h2>Warnings</h2>\n");
    if (report.warnings().isEmpty()) {
      h.append("<p>None.</p>\n");
      return;
    }
    h.append("<ul class=\"warnings\">\n");
    report.warnings().forEach(w -> h.append("<li>").append(esc(w)).append("</li>\n"));
    h.append("</ul>\n");
  }

  private static void problems(StringBuilder h, Report report, Sample rows) {
    h.append("<h2>Problems</h2>\n<p>Each counted on its own; row numbers count the dataset's")
        .append(" rows from 1. No row was dropped.</p>\n<table class=\"problems\">\n")
        .append("<tr><th>problem</th><th>rows</th><th>first rows</th></tr>\n");
    for (DataProblem p : report.problems()) {
      h.append("<tr data-kind=\"")
          .append(esc(p.kind()))
          .append("\"><td>")
          .append(esc(DataProfiler.PROBLEM_NAMES.get(p.kind())))
          .append("</td><td>")
          .append(p.rows())
          .append("</td><td>")
          .append(esc(DataProfiler.rowList(p)))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
    // The first rows of each kind, as they are in the dataset.
    for (DataProblem p : report.problems()) {
      if (p.exampleRows().isEmpty()) {
        continue;
      }
      h.append("<details class=\"flagged\" open><summary>")
          .append(esc(DataProfiler.PROBLEM_NAMES.get(p.kind())))
          .append(": first rows</summary>\n<table>\n")
          .append("<tr><th>row</th><th>input</th><th>output</th></tr>\n");
      for (int n : p.exampleRows()) {
        Row row = rows.rows().get(n);
        h.append("<tr><td>").append(n).append("</td><td>");
        h.append(row == null ? "" : esc(shorten(row.input())));
        h.append("</td><td><code>");
        h.append(row == null || row.output() == null ? "" : esc(shorten(text(row.output()))));
        h.append("</code></td></tr>\n");
      }
      h.append("</table>\n</details>\n");
    }
    list(
        h,
        "Values that are not labels (left out of the label counts)",
        report.badValues().stream()
            .map(
                b ->
                    b.field()
                        + " = "
                        + b.value()
                        + ": "
                        + DataProfiler.PROBLEM_NAMES.get(b.kind())
                        + ", "
                        + b.rows()
                        + " row(s)")
            .toList());
    list(
        h,
        "What the answer schema's validator said",
        report.schemaViolations().stream()
            .map(m -> m.message() + ": " + m.rows() + " row(s)")
            .toList());
    list(
        h,
        "Rare values (few examples to learn from; a typo, or a label to merge?)",
        report.rareValues().stream()
            .map(v -> v.field() + " = " + v.value() + ": " + v.rows() + " row(s)")
            .toList());
    list(
        h,
        "Suspicious labels",
        report.suspiciousLabels().stream()
            .map(s -> s.field() + " = " + s.value() + " (" + s.rows() + " row(s)): " + s.why())
            .toList());
  }

  private static void list(StringBuilder h, String title, List<String> items) {
    if (items.isEmpty()) {
      return;
    }
    h.append("<h3>").append(esc(title)).append("</h3>\n<ul>\n");
    items.forEach(i -> h.append("<li>").append(esc(i)).append("</li>\n"));
    h.append("</ul>\n");
  }

  /** A chart per category field. */
  private static void labels(StringBuilder h, Report report, List<String> fields) {
    for (String f : fields) {
      Map<String, Integer> counts = report.labels().get(f);
      if (counts != null) {
        h.append("<figure><figcaption>Labels: ").append(esc(f)).append("</figcaption>\n");
        labelChart(h, f, counts);
        h.append("</figure>\n");
      }
    }
  }

  /** What the other fields hold (a name or a date has new values in every row: no chart). */
  private static void values(StringBuilder h, Report report, List<String> fields) {
    for (String f : fields) {
      if (!report.labels().containsKey(f)) {
        h.append("<h3>Values: ")
            .append(esc(f))
            .append(" (")
            .append(esc(report.fieldTypes().get(f)))
            .append(")</h3>\n<p>")
            .append(esc(report.values().get(f)))
            .append("</p>\n");
      }
    }
  }

  /** One horizontal bar per label, the most common first. */
  private static void labelChart(StringBuilder h, String field, Map<String, Integer> counts) {
    List<Map.Entry<String, Integer>> bars = new ArrayList<>(counts.entrySet());
    bars.sort(
        Map.Entry.<String, Integer>comparingByValue()
            .reversed()
            .thenComparing(Map.Entry.comparingByKey()));
    int max = bars.stream().mapToInt(Map.Entry::getValue).max().orElse(0);
    int rowHeight = 22;
    int labelWidth = 110;
    int barWidth = 210;
    svgOpen(h, "labels", field, labelWidth + barWidth + 40, bars.size() * rowHeight + 8);
    for (int i = 0; i < bars.size(); i++) {
      String label = bars.get(i).getKey();
      int count = bars.get(i).getValue();
      int y = 4 + i * rowHeight;
      int w = max == 0 ? 0 : Math.max(1, Math.round((float) barWidth * count / max));
      h.append("<g class=\"bar\" data-label=\"")
          .append(esc(label))
          .append("\" data-count=\"")
          .append(count)
          .append("\"><title>")
          .append(esc(shown(label)))
          .append(": ")
          .append(count)
          .append(" row(s)</title>")
          .append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" ", labelWidth - 6, y + 15))
          .append("text-anchor=\"end\">")
          .append(esc(svgLabel(label)))
          .append(String.format(Locale.ROOT, "</text><rect x=\"%d\" y=\"%d\" ", labelWidth, y + 3))
          .append(String.format(Locale.ROOT, "width=\"%d\" height=\"%d\"/>", w, rowHeight - 6))
          .append(
              String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">", labelWidth + w + 4, y + 15))
          .append(count)
          .append("</text></g>\n");
    }
    h.append("</svg>\n");
  }

  /** Input lengths in characters, in up to {@link #HISTOGRAM_BINS} bins of equal width. */
  private static void inputLengths(StringBuilder h, Report report, Sample rows) {
    DataProfiler.InputLength len = report.inputLength();
    h.append("<figure><figcaption>Input lengths (characters)</figcaption>\n<div class=\"note\">")
        .append(
            String.format(
                Locale.ROOT,
                "min %d, median %d, p90 %d, max %d",
                len.min(),
                len.p50(),
                len.p90(),
                len.max()))
        .append("</div>\n");
    int min = len.min();
    int span = len.max() - min + 1;
    int binWidth = (span + HISTOGRAM_BINS - 1) / HISTOGRAM_BINS;
    int[] bins = new int[(span + binWidth - 1) / binWidth];
    rows.lengths().forEach((length, n) -> bins[(length - min) / binWidth] += n);
    int max = Arrays.stream(bins).max().orElse(0);
    int plotHeight = 160;
    int barWidth = 340 / bins.length;
    svgOpen(h, "histogram", "input length", bins.length * barWidth + 20, plotHeight + 40);
    for (int i = 0; i < bins.length; i++) {
      int from = min + i * binWidth;
      int to = from + binWidth - 1;
      int barHeight = max == 0 ? 0 : Math.round((float) plotHeight * bins[i] / max);
      h.append(
          String.format(
              Locale.ROOT,
              "<g class=\"bin\" data-from=\"%d\" data-to=\"%d\" data-count=\"%d\">"
                  + "<title>%d to %d characters: %d row(s)</title>"
                  + "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/></g>%n",
              from,
              to,
              bins[i],
              from,
              to,
              bins[i],
              10 + i * barWidth + 1,
              10 + plotHeight - barHeight,
              barWidth - 2,
              barHeight));
    }
    h.append(
        String.format(
            Locale.ROOT,
            "<text x=\"10\" y=\"%d\">%d</text>"
                + "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>"
                + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">characters</text>%n"
                + "</svg>%n</figure>%n",
            plotHeight + 28,
            min,
            10 + bins.length * barWidth,
            plotHeight + 28,
            min + bins.length * binWidth - 1,
            10 + bins.length * barWidth / 2,
            plotHeight + 28));
  }

  private static void baseline(StringBuilder h, Report report, List<Confusion> confusions) {
    h.append("<h2>Prompt baseline</h2>\n<p>")
        .append(
            String.format(
                Locale.ROOT,
                "Score %.3f; %d test rows answered wrongly.",
                report.baselineScore(),
                report.baselineFailureCount()))
        .append("</p>\n");
    h.append("<div class=\"grid\">\n");
    for (Confusion c : confusions) {
      confusionTable(h, c, report.labels().getOrDefault(c.field(), Map.of()));
    }
    h.append("</div>\n");
  }

  private static void baselineFailures(StringBuilder h, Report report) {
    if (report.baselineFailures().isEmpty()) {
      return;
    }
    h.append("<h2>Answered wrongly by the prompt baseline (first ")
        .append(report.baselineFailures().size())
        .append(")</h2>\n<table class=\"baseline-failures\">\n")
        .append("<tr><th>input</th><th>expected</th><th>answer</th></tr>\n");
    for (JsonNode p : report.baselineFailures()) {
      h.append("<tr><td>")
          .append(esc(shorten(p.path("input").asText())))
          .append("</td><td><code>")
          .append(esc(shorten(text(p.path("expected")))))
          .append("</code></td><td><code>")
          .append(esc(shorten(p.path("answer").asText())))
          .append("</code></td></tr>\n");
    }
    h.append("</table>\n");
  }

  /**
   * Expected labels down, predicted across; cells shaded by their share of the row (green on the
   * diagonal, red off it).
   */
  private static void confusionTable(StringBuilder h, Confusion c, Map<String, Integer> data) {
    // The data's labels, the most common first; then any other, then (missing) and (invalid).
    Comparator<String> order =
        Comparator.<String>comparingInt(l -> l.equals(INVALID) ? 2 : l.equals(MISSING) ? 1 : 0)
            .thenComparing(l -> -data.getOrDefault(l, 0))
            .thenComparing(Comparator.naturalOrder());
    List<String> expected = c.counts().keySet().stream().sorted(order).toList();
    List<String> predicted = c.predicted().stream().sorted(order).toList();
    h.append("<figure><figcaption>Confusion matrix: ")
        .append(esc(c.field()))
        .append("</figcaption>\n<table class=\"confusion\" data-field=\"")
        .append(esc(c.field()))
        .append("\">\n<tr><th>expected \\ predicted</th>");
    predicted.forEach(p -> h.append("<th>").append(esc(shown(p))).append("</th>"));
    h.append("</tr>\n");
    for (String e : expected) {
      int total = c.counts().get(e).values().stream().mapToInt(Integer::intValue).sum();
      h.append("<tr><th>").append(esc(shown(e))).append("</th>");
      for (String p : predicted) {
        int n = c.count(e, p);
        String color = e.equals(p) ? "40,160,80" : "210,60,50";
        h.append("<td data-expected=\"")
            .append(esc(e))
            .append("\" data-predicted=\"")
            .append(esc(p))
            .append("\" data-count=\"")
            .append(n)
            .append(
                n == 0
                    ? "\">"
                    : String.format(
                        Locale.ROOT,
                        "\" style=\"background: rgba(%s,%.2f)\">%d",
                        color,
                        0.15 + 0.6 * n / total,
                        n))
            .append("</td>");
      }
      h.append("</tr>\n");
    }
    h.append("</table>\n</figure>\n");
  }

  private static void keptOut(StringBuilder h, KeptOut kept) {
    if (kept == null) {
      return;
    }
    h.append("<h2>Kept out of training</h2>\n<p>")
        .append(kept.rows())
        .append(" row(s) of the data have an input that occurs in an eval set ")
        .append(esc(kept.byEvalSet().toString()))
        .append(": kept out of training, not dropped. All are in <code>")
        .append(esc(kept.file()))
        .append("</code>.</p>\n<table class=\"kept-out\">\n")
        .append("<tr><th>input</th><th>eval sets</th></tr>\n");
    for (KeptOutRow row : kept.first()) {
      h.append("<tr><td>")
          .append(esc(shorten(row.input())))
          .append("</td><td>")
          .append(esc(String.join(", ", row.evalSets())))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static void invalid(StringBuilder h, Invalid invalid) {
    if (invalid == null) {
      return;
    }
    h.append("<h2>Invalid rows (kept out of training)</h2>\n<p>")
        .append(invalid.rows())
        .append(" row(s) could not be read. All are in <code>")
        .append(esc(invalid.file()))
        .append("</code>, each with its text.</p>\n<table class=\"invalid\">\n")
        .append("<tr><th>file</th><th>line</th><th>reason</th></tr>\n");
    for (InvalidRow row : invalid.first()) {
      h.append("<tr><td><code>")
          .append(esc(row.file()))
          .append("</code></td><td>")
          .append(row.line())
          .append("</td><td>")
          .append(esc(row.reason()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
  }

  private static void svgOpen(StringBuilder h, String kind, String name, int width, int height) {
    h.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart ")
        .append(kind)
        .append("\" data-field=\"")
        .append(esc(name))
        .append(String.format(Locale.ROOT, "\" width=\"%d\" height=\"%d\" ", width, height))
        .append(String.format(Locale.ROOT, "viewBox=\"0 0 %d %d\" role=\"img\" ", width, height))
        .append("aria-label=\"")
        .append(esc(kind + ": " + name))
        .append("\">\n");
  }

  /** A label as a person reads it: the empty one named. */
  private static String shown(String label) {
    return label.isEmpty() ? "(empty)" : label;
  }

  private static String svgLabel(String label) {
    String s = shown(label);
    return s.length() <= SVG_LABEL_SHOWN ? s : s.substring(0, SVG_LABEL_SHOWN - 1) + "\u2026";
  }

  private static String shorten(String s) {
    return s.length() <= TEXT_SHOWN ? s : s.substring(0, TEXT_SHOWN - 1) + "\u2026";
  }

  private static String text(JsonNode n) {
    return n.isTextual() ? n.asText() : n.toString();
  }

  /**
   * Text made safe in HTML and SVG, in elements and quoted attributes alike; characters XML does
   * not allow become U+FFFD.
   */
  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c < 0x20 && c != '\n' && c != '\t' ? '\uFFFD' : c);
      }
    }
    return out.toString();
  }

  private static final String CSS =
      """
      body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
        color: #1d2330; margin: 24px auto; max-width: 1240px; padding: 0 16px; }
      h1 { font-size: 24px; margin: 0 0 8px; }
      h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #dde1e8; }
      h3 { font-size: 15px; margin: 18px 0 6px; }
      code { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
      table { border-collapse: collapse; margin: 6px 0 12px; }
      figure table { margin: 4px 0; }
      th, td { border: 1px solid #dde1e8; padding: 3px 8px; text-align: left;
        vertical-align: top; }
      th { background: #f3f5f8; font-weight: 600; }
      table.summary td, table.confusion td { text-align: right; font-variant-numeric: tabular-nums; }
      table.confusion td { min-width: 44px; }
      ul.warnings li { color: #8a4b00; }
      div.grid { display: flex; flex-wrap: wrap; gap: 12px 16px; align-items: flex-start; }
      figure { margin: 0; padding: 8px 10px; border: 1px solid #dde1e8; border-radius: 6px; }
      figcaption { font-weight: 600; margin-bottom: 4px; }
      div.note { font-size: 12px; color: #555d6b; }
      table.problems td:last-child, table.baseline-failures td:first-child { max-width: 520px; }
      details.flagged { margin: 4px 0; }
      details.flagged summary { cursor: pointer; font-weight: 600; }
      svg.chart { display: block; margin: 4px 0; font-size: 12px; }
      svg.chart rect { fill: #3b6fd8; }
      svg.chart g:hover rect { fill: #27509f; }
      svg.chart text { fill: #1d2330; }
      """;
}
