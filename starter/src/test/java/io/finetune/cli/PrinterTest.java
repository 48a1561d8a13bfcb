package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.dataset.DatasetActivities.DataProblem;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.RunComparison;
import io.finetune.workflows.eval.JudgeActivities.Alignment;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.finetune.workflows.pipeline.JudgeStanding;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.pipeline.Stage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrinterTest {
  @Test
  void aJudgesVerdictIsShownBesideItsAgreementWithPeople() {
    JudgeResult j =
        new JudgeResult(
            "local-judge", "ft:local-small:x", "local-large", 60, 41, 12, 7, 9, 0, null);
    JudgeStanding standing =
        new JudgeStanding(
            "local-judge", new Alignment("local-judge", 40, 0.83, 0.71, null), 0.6, true, null);
    assertEquals(
        "judge local-judge: 41 wins, 12 ties, 7 losses of 60 pairs, flip rate 0.15;"
            + " alignment: agreement 0.83, kappa 0.71 (floor 0.60)",
        Printer.judge(j, standing));
  }

  @Test
  void theDataReviewLineCountsEachProblemOnItsOwn_andAnOldReportKeepsItsFigures() {
    ArtifactRef md = new ArtifactRef("/a/reports/r.md", "r", 10);
    List<DataProblem> problems =
        List.of(
            new DataProblem(DataProblem.EMPTY_OUTPUT, 8, List.of(3)),
            new DataProblem(DataProblem.MISSING_FIELD, 2, List.of(4)),
            new DataProblem(DataProblem.WRONG_TYPE, 1, List.of(5)),
            new DataProblem(DataProblem.VALUE_NOT_ALLOWED, 1, List.of(6)),
            new DataProblem(DataProblem.RARE_VALUE, 0, List.of()),
            new DataProblem(DataProblem.CONFLICTING_LABELS, 0, List.of()),
            new DataProblem(DataProblem.EXACT_DUPLICATE, 20, List.of(7)),
            new DataProblem(DataProblem.NEAR_DUPLICATE, 0, List.of()));
    assertEquals(
        "100 rows, 8 empty outputs, 2 missing fields, 1 wrong types, 1 values not allowed,"
            + " 0 rare values, 0 conflicting labels, 20 exact duplicates, 0 near duplicates,"
            + " 0 suspicious labels, 0 removed by filters, 5 baseline failures",
        Printer.dataReportSummary(
            new DataReport(md, md, 100, 20, 8, 0, 0, 5, List.of(), problems)));
    assertEquals(
        "100 rows, 20 duplicates, 10 empty outputs, 0 suspicious labels, 0 removed by filters,"
            + " 5 baseline failures",
        Printer.dataReportSummary(new DataReport(md, md, 100, 20, 10, 0, 0, 5, List.of())));
  }

  @Test
  void statusNamesTheHtmlDataReportBesideTheMarkdownOneWhenThereIsOne() {
    ArtifactRef md = new ArtifactRef("/a/reports/r.md", "r", 10);
    ArtifactRef html = new ArtifactRef("/a/reports/r.html", "h", 10);
    String withHtml =
        status(new DataReport(md, md, 100, 20, 8, 0, 0, 5, List.of(), List.of(), html, null));
    assertTrue(
        withHtml.contains(
            "    /a/reports/r.md\n    /a/reports/r.html (open in a browser: charts)\n"),
        withHtml);
    String older = status(new DataReport(md, md, 100, 20, 8, 0, 0, 5, List.of(), List.of()));
    assertTrue(older.contains("    /a/reports/r.md\n"), older);
    assertFalse(older.contains(".html"), older);
  }

  private static String status(DataReport report) {
    PipelineStatus s =
        new PipelineStatus(
            "triage",
            "cli",
            Stage.DATA_REVIEW,
            null,
            "exact_match",
            0.9,
            null,
            null,
            Map.of(),
            report,
            List.of(),
            List.of(),
            Map.of(),
            null,
            null,
            null,
            List.of(),
            List.of(),
            List.of(),
            null,
            null,
            null,
            null);
    StringWriter text = new StringWriter();
    Printer.pipeline("triage-2", s, new PrintWriter(text, true));
    return text.toString();
  }

  private static final RunComparison WORSE =
      new RunComparison(
          "triage-1",
          "416d1cdd-54c7-485b-8cc4-419dee12e994",
          1_750_000_000_123L,
          "local-large",
          true,
          "exact_match",
          300,
          0.5067,
          0.4433,
          -0.0633,
          -0.0933,
          -0.0367,
          19,
          0,
          new ArtifactRef("/a/run-over-run/x.jsonl", "x", 10));

  @Test
  void aRunOverRunComparisonSaysTheChangeItsIntervalTheRowsAndTheEarlierRun() {
    assertEquals(
        List.of(
            "exact_match 0.507 -> 0.443, -0.063 (95% interval -0.093 to -0.037); 19 rows"
                + " right->wrong, 0 wrong->right",
            "vs triage-1 (run 416d1cdd at 2025-06-15T15:06:40Z), another prompt; rows:"
                + " /a/run-over-run/x.jsonl"),
        Printer.runOverRun("local-large", WORSE));
    RunComparison noise =
        new RunComparison(
            "triage-1",
            "r",
            0,
            "ft:local-small:old",
            false,
            "exact_match",
            60,
            0.3,
            0.32,
            0.02,
            -0.05,
            0.08,
            2,
            3,
            null);
    RunComparison same =
        new RunComparison(
            "triage-1",
            "r",
            0,
            "local-large",
            false,
            "exact_match",
            60,
            0.3,
            0.3,
            0,
            0,
            0,
            0,
            0,
            null);
    assertEquals(
        "exact_match 0.300 -> 0.300: the same on every row",
        Printer.runOverRun("local-large", same).get(0));
    assertEquals(
        List.of(
            "exact_match 0.300 -> 0.320, +0.020 (95% interval -0.050 to +0.080, within the noise of"
                + " this set); 2 rows right->wrong, 3 wrong->right",
            "vs triage-1 (run r at 1970-01-01T00:00:00Z), model ft:local-small:old"),
        Printer.runOverRun("ft:local-small:new", noise));
  }

  @Test
  void statusShowsTheBaselinesRunOverRunUnderItsScores() {
    EvalResult baseline =
        new EvalResult(
            "local-large",
            "test",
            300,
            300,
            Map.of("exact_match", 0.4433),
            new ArtifactRef("/p", "p", 1),
            null,
            null,
            null,
            WORSE);
    EvalResult corner =
        new EvalResult(
            "local-large",
            "corner-cases",
            60,
            60,
            Map.of("exact_match", 0.3),
            new ArtifactRef("/c", "c", 1));
    PipelineStatus s =
        new PipelineStatus(
            "triage",
            "cli",
            Stage.DATA_REVIEW,
            null,
            "exact_match",
            0.9,
            null,
            baseline,
            Map.of("corner-cases", corner),
            null,
            List.of(),
            List.of(),
            Map.of(),
            null,
            null,
            null,
            List.of(),
            List.of(),
            List.of(),
            null,
            null,
            null,
            null);
    StringWriter text = new StringWriter();
    Printer.pipeline("triage-2", s, new PrintWriter(text, true));

    String out = text.toString();
    assertTrue(
        out.contains(
            "    run over run (each eval vs the previous run of this spec on the same set):\n"
                + "      prompt baseline (local-large) on test: exact_match 0.507 -> 0.443,"
                + " -0.063"),
        out);
    assertTrue(out.contains("\n        vs triage-1 (run 416d1cdd at "), out);
    assertFalse(out.contains("on corner-cases:"), "no earlier run there: nothing to say\n" + out);
  }
}
