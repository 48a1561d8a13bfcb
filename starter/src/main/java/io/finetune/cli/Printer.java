package io.finetune.cli;

import io.finetune.workflows.common.Scores;
import io.finetune.workflows.dataset.DatasetActivities.DataProblem;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import io.finetune.workflows.drift.DriftActivities.FieldDrift;
import io.finetune.workflows.drift.DriftResult;
import io.finetune.workflows.eval.EvalActivities.Comparison;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.Intervals;
import io.finetune.workflows.eval.EvalActivities.RunComparison;
import io.finetune.workflows.eval.EvalActivities.Usage;
import io.finetune.workflows.eval.EvalRunResult;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.CorrectionRecord;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.finetune.workflows.pipeline.IgnoredSignal;
import io.finetune.workflows.pipeline.JudgeStanding;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.pipeline.RefusedDecision;
import io.finetune.workflows.pipeline.Stage;
import io.finetune.workflows.rollout.Rollout;
import io.finetune.workflows.rollout.RolloutActivities.Outcomes;
import io.finetune.workflows.rollout.RolloutActivities.SlowEval;
import io.finetune.workflows.rollout.RolloutStatus;
import io.finetune.workflows.training.CandidateResult;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Human-readable views of run state for the terminal. */
final class Printer {
  private Printer() {}

  static String statusName(WorkflowExecutionStatus s) {
    return s.name().replace("WORKFLOW_EXECUTION_STATUS_", "");
  }

  /** Plural nouns of the data review's problem counts, in {@link DataProblem#KINDS} order. */
  private static final Map<String, String> PROBLEM_NOUNS =
      Map.of(
          DataProblem.EMPTY_OUTPUT, "empty outputs",
          DataProblem.MISSING_FIELD, "missing fields",
          DataProblem.WRONG_TYPE, "wrong types",
          DataProblem.VALUE_NOT_ALLOWED, "values not allowed",
          DataProblem.SCHEMA_VIOLATION, "answers not meeting answerSchema",
          DataProblem.RARE_VALUE, "rare values",
          DataProblem.CONFLICTING_LABELS, "conflicting labels",
          DataProblem.EXACT_DUPLICATE, "exact duplicates",
          DataProblem.NEAR_DUPLICATE, "near duplicates");

  /**
   * The data review in one line: each problem counted on its own (rows), then the rest; a report
   * from before the counts were split has the old merged figures.
   */
  static String dataReportSummary(DataReport r) {
    StringBuilder sb = new StringBuilder().append(r.rows()).append(" rows, ");
    if (r.problems() == null) {
      sb.append(r.duplicateRows())
          .append(" duplicates, ")
          .append(r.emptyOutputs())
          .append(" empty outputs, ");
    } else {
      for (DataProblem p : r.problems()) {
        sb.append(p.rows())
            .append(' ')
            .append(PROBLEM_NOUNS.getOrDefault(p.kind(), p.kind()))
            .append(", ");
      }
    }
    return sb.append(r.suspiciousLabels())
        .append(" suspicious labels, ")
        .append(r.rowsRemovedByFilters())
        .append(" removed by filters, ")
        .append(r.baselineFailures())
        .append(" baseline failures")
        .toString();
  }

  /** The corrections applied at the data review, and the latest suggestions. */
  static void corrections(PipelineStatus s, PrintWriter out) {
    for (CorrectionRecord c : s.corrections()) {
      out.printf(
          Locale.ROOT,
          "  corrections: data version %d by %s%s: %d relabeled, %d excluded; baseline %s %.3f%n"
              + "    lineage: %s%n",
          c.version(),
          c.by(),
          c.comment() == null ? "" : " (\"" + c.comment() + "\")",
          c.relabeled(),
          c.excluded(),
          s.targetMetric(),
          c.baselineScore(),
          c.lineage().path());
    }
    if (s.suggestions() != null) {
      out.println(
          "  suggestions: "
              + s.suggestions().model()
              + " answered "
              + s.suggestions().flagged().rows()
              + " flagged row(s), asked by "
              + s.suggestions().by());
    }
  }

  static void pipeline(String id, PipelineStatus s, PrintWriter out) {
    out.println(
        id
            + " (FineTunePipeline "
            + s.name()
            + "): stage "
            + s.stage()
            + (s.pendingCheckpoint() == null ? "" : ", waiting for: " + s.pendingCheckpoint()));
    out.println("  trigger: " + s.trigger());
    if (s.split() != null) {
      out.printf(
          "  split: train %d / test %d rows; %d duplicate rows kept together; train/test leaks %d;"
              + " eval-set leaks %s%n",
          s.split().train().rows(),
          s.split().test().rows(),
          s.split().duplicateRows(),
          s.split().trainTestLeaks(),
          s.split().evalSetLeaks());
      if (s.split().keptOutRows() > 0) {
        out.printf(
            "  kept out of training (their input is in an eval set): %d row(s) %s: %s%n",
            s.split().keptOutRows(), s.split().keptOutOfTraining(), s.split().keptOut().path());
      }
    }
    if (s.dataReport() != null) {
      out.println("  data report: " + dataReportSummary(s.dataReport()));
      out.println("    " + s.dataReport().markdown().path());
      if (s.dataReport().html() != null) {
        out.println("    " + s.dataReport().html().path() + " (open in a browser: charts)");
      }
      for (String w : s.dataReport().warnings()) {
        out.println("    warning: " + w);
      }
      if (s.dataReport().flagged() != null && s.pendingCheckpoint() == Checkpoint.DATA_REVIEW) {
        out.println(
            "    flagged rows: "
                + s.dataReport().flagged().rows()
                + " (to fix them: ./finetune review "
                + id
                + " --export flagged.jsonl)");
      }
    }
    corrections(s, out);
    if (s.baseline() != null) {
      out.printf(Locale.ROOT, "  scores (target %s >= %.3f):%n", s.targetMetric(), s.targetScore());
      scoreTable(s, out);
    }
    if (s.failedCandidates() != null) {
      s.failedCandidates()
          .forEach((size, why) -> out.println("  candidate " + size + " FAILED: " + why));
    }
    if (s.bestModel() != null) {
      boolean passed = Boolean.TRUE.equals(s.gatePassed());
      String why =
          s.gateVerdict() != null
              ? s.gateVerdict()
              : passed ? "beats the prompt baseline" : "does NOT beat the prompt baseline";
      out.println(
          "  best candidate: "
              + s.bestModel()
              + " ("
              + why
              + (passed ? ")" : "; approving overrides the gate)"));
    }
    if (!s.decisions().isEmpty()) {
      out.println("  decisions:");
      for (DecisionRecord d : s.decisions()) {
        out.printf(
            "    %-12s %-8s by %s via %s at %s, %s%s%s%n",
            d.checkpoint(),
            d.action(),
            d.by(),
            d.via(),
            Instant.ofEpochMilli(d.atMillis()),
            d.identity(),
            d.override() ? " (override)" : "",
            d.comment() == null || d.comment().isBlank() ? "" : ": \"" + d.comment() + "\"");
      }
    }
    refused(s.refusedDecisions(), out);
    if (s.notes() != null) {
      s.notes().forEach(n -> out.println("  note: " + n));
    }
    for (IgnoredSignal i : s.ignoredSignals()) {
      out.println("  ignored signal " + i.decision() + ": " + i.reason());
    }
    if (s.pendingCheckpoint() != null) {
      out.println(
          "  next: ./finetune approve "
              + id
              + " --checkpoint "
              + s.pendingCheckpoint()
              + " --by <you>   (or reject)");
    }
    if (s.stage() == Stage.ROLLING_OUT) {
      String rollout = Rollout.workflowId(s.name());
      out.println(
          "  rolling out: v"
              + s.promoted().version()
              + " serves a canary share; ./finetune status "
              + rollout
              + " shows it (./finetune rollback "
              + s.name()
              + " --by <you> ends it)");
    }
    if (s.rollout() != null && s.rollout().slowEval() != null) {
      slowEval(s.rollout().slowEval(), out);
    }
    if (s.outcome() != null) {
      out.println("  outcome: " + s.outcome() + " - " + s.outcomeReason());
    }
  }

  /** Decisions refused because their sender was not verified: who claimed, when, why. */
  static void refused(List<RefusedDecision> refused, PrintWriter out) {
    if (refused == null) {
      return;
    }
    for (RefusedDecision r : refused) {
      out.println(
          "  refused: "
              + r.claimed().action()
              + " at "
              + r.claimed().checkpoint()
              + " claimed by "
              + r.claimed().by()
              + " via "
              + r.via()
              + " at "
              + Instant.ofEpochMilli(r.atMillis())
              + (r.claimed().tokenId() == null ? "" : " with token " + r.claimed().tokenId())
              + ": "
              + r.reason());
    }
  }

  /** A rollout: its phase, the canary, the slow eval, the checkpoint, how it ended. */
  static void rollout(String id, RolloutStatus s, PrintWriter out) {
    out.println(
        id
            + " (Rollout "
            + s.name()
            + " v"
            + s.candidate()
            + " against v"
            + s.stable()
            + "): "
            + s.phase()
            + (s.pendingCheckpoint() == null ? "" : ", waiting for: " + s.pendingCheckpoint()));
    if (s.canaryFromMillis() > 0) {
      out.printf(
          Locale.ROOT,
          "  canary: %.0f%% of the traffic since %s; window %d ends %s%n",
          100 * s.canaryShare(),
          Instant.ofEpochMilli(s.canaryFromMillis()),
          s.window(),
          Instant.ofEpochMilli(s.windowEndsMillis()));
    }
    if (s.slowEval() != null) {
      slowEval(s.slowEval(), out);
    }
    for (DecisionRecord d : s.decisions()) {
      out.println(
          "  decision: "
              + d.action()
              + " at "
              + d.checkpoint()
              + " by "
              + d.by()
              + ", "
              + d.identity()
              + (d.comment() == null ? "" : " (\"" + d.comment() + "\")"));
    }
    refused(s.refusedDecisions(), out);
    if (s.pendingCheckpoint() != null) {
      out.println(
          "  next: ./finetune approve "
              + id
              + " --checkpoint rollback --by <you>   (rolls back; reject rolls out anyway)");
    }
    if (s.result() != null) {
      out.println(
          "  outcome: "
              + s.result().outcome()
              + " - v"
              + s.result().serving()
              + " serves all traffic: "
              + s.result().reason()
              + " ("
              + s.result().decidedBy()
              + ")");
    }
  }

  /** The slow eval's figures: per version, its outcomes; then the verdict. */
  static void slowEval(SlowEval e, PrintWriter out) {
    out.println("  slow eval: " + e.verdict() + " - " + e.reason());
    for (Outcomes o : List.of(e.canary(), e.stable())) {
      out.printf(
          Locale.ROOT,
          "    v%-3d %6d traces  %5.1f%% bad  (failed %d, thumbs down %d, regenerated %d,"
              + " corrected %d, lost side-by-side %d; thumbs up %d)%n",
          o.version(),
          o.traces(),
          100 * o.badRate(),
          o.failed(),
          o.thumbsDown(),
          o.regenerated(),
          o.corrected(),
          o.lostSideBySide(),
          o.thumbsUp());
    }
  }

  /**
   * Baseline and every candidate, on the test set and each eval set, per metric; then what the
   * answers took (p50 and p95 latency, cost per 1,000 requests by the provider's price table).
   */
  static void scoreTable(PipelineStatus s, PrintWriter out) {
    // json_valid is 1 - invalid: one column says it.
    List<String> metrics = new ArrayList<>(s.baseline().metrics().keySet());
    metrics.remove(Scores.JSON_VALID);
    StringBuilder header = new StringBuilder(String.format("    %-44s %-14s", "MODEL", "SET"));
    for (String m : metrics) {
      header.append(
          String.format(
              " %15s",
              m.equals(Scores.INVALID_OUTPUT_RATE)
                  ? "invalid"
                  : m.replace(Scores.MACRO_F1_PREFIX, "macroF1:")));
    }
    header.append(String.format(" %9s %9s %11s", "p50 ms", "p95 ms", "$/1k req"));
    out.println(header);
    String baselineName = "prompt baseline (" + s.baseline().model() + ")";
    row(out, baselineName, "test", s.baseline(), metrics);
    s.baselineEvalSets().forEach((set, r) -> row(out, "", set, r, metrics));
    if (s.production() != null) {
      row(out, "in production (" + s.production().model() + ")", "test", s.production(), metrics);
    }
    for (CandidateResult c : s.candidates()) {
      row(out, c.label() + " " + c.modelId(), "test", c.test(), metrics);
      c.evalSets().forEach((set, r) -> row(out, "", set, r, metrics));
    }
    if (s.baseline().intervals() != null) {
      out.println("    prompt baseline: " + interval(s.baseline().intervals()));
    }
    for (CandidateResult c : s.candidates()) {
      if (c.test().intervals() != null) {
        out.println("    " + c.label() + ": " + interval(c.test().intervals()));
      }
      if (c.checkpoint() != null || c.trainingCost() != null) {
        out.println("    " + c.label() + ": " + training(c));
      }
      if (c.judge() != null) {
        out.println("    " + c.label() + ": " + judge(c.judge(), s.judge()));
      }
      if (c.judgeVsProduction() != null) {
        out.println(
            "    "
                + c.label()
                + " against the model in production: "
                + judge(c.judgeVsProduction(), null));
      }
    }
    runOverRun(s, out);
  }

  /**
   * Each eval against the previous run's of the same spec on the same set, when there was one (none
   * in histories from before run-over-run, nor on a spec's first run).
   */
  private static void runOverRun(PipelineStatus s, PrintWriter out) {
    List<String> lines = new ArrayList<>();
    String baselineName = "prompt baseline (" + s.baseline().model() + ")";
    runOverRunLine(lines, baselineName, "test", s.baseline());
    s.baselineEvalSets().forEach((set, r) -> runOverRunLine(lines, baselineName, set, r));
    for (CandidateResult c : s.candidates()) {
      runOverRunLine(lines, c.label(), "test", c.test());
      c.evalSets().forEach((set, r) -> runOverRunLine(lines, c.label(), set, r));
    }
    if (!lines.isEmpty()) {
      out.println("    run over run (each eval vs the previous run of this spec on the same set):");
      lines.forEach(out::println);
    }
  }

  private static void runOverRunLine(List<String> lines, String what, String set, EvalResult r) {
    if (r.previousRun() != null) {
      List<String> text = runOverRun(r.model(), r.previousRun());
      lines.add("      " + what + " on " + set + ": " + text.get(0));
      lines.add("        " + text.get(1));
    }
  }

  /**
   * An eval against the previous run's, in two lines: the change, e.g. {@code exact_match 0.507 ->
   * 0.443, -0.063 (95% interval -0.093 to -0.037); 19 rows right->wrong, 0 wrong->right}, then
   * which run it was, e.g. {@code vs eval-1 (run 416d1cdd at 2025-06-01T10:00:00Z), another prompt;
   * rows: /path/to/changed-rows.jsonl}.
   */
  static List<String> runOverRun(String model, RunComparison c) {
    boolean same =
        c.rightToWrong() == 0
            && c.wrongToRight() == 0
            && c.change() == 0
            && c.lo() == 0
            && c.hi() == 0;
    String change =
        same
            ? String.format(
                Locale.ROOT,
                "%s %.3f -> %.3f: the same on every row",
                c.metric(),
                c.previousScore(),
                c.score())
            : String.format(
                Locale.ROOT,
                "%s %.3f -> %.3f, %+.3f (95%% interval %+.3f to %+.3f%s); %d %s right->wrong, %d"
                    + " wrong->right",
                c.metric(),
                c.previousScore(),
                c.score(),
                c.change(),
                c.lo(),
                c.hi(),
                c.tellsApart() ? "" : ", within the noise of this set",
                c.rightToWrong(),
                c.rightToWrong() == 1 ? "row" : "rows",
                c.wrongToRight());
    StringBuilder which =
        new StringBuilder("vs ")
            .append(c.previousWorkflowId())
            .append(" (run ")
            .append(shortRunId(c.previousRunId()))
            .append(" at ")
            .append(Instant.ofEpochMilli(c.previousAtMillis()).truncatedTo(ChronoUnit.SECONDS))
            .append(')');
    if (c.previousModel() != null && !c.previousModel().equals(model)) {
      which.append(", model ").append(c.previousModel());
    }
    if (c.promptChanged()) {
      which.append(", another prompt");
    }
    if (c.changedRows() != null) {
      which.append("; rows: ").append(c.changedRows().path());
    }
    return List.of(change, which.toString());
  }

  private static String shortRunId(String runId) {
    return runId == null || runId.length() <= 8 ? String.valueOf(runId) : runId.substring(0, 8);
  }

  /**
   * An {@code eval} run: per set and model, the metric with its 95% interval and the difference to
   * the second model with its own, latency and cost; the judge's verdict; notes; then each eval
   * against the previous run's.
   */
  static void evalRun(String id, EvalRunResult r, PrintWriter out) {
    out.println(
        id
            + " (EvalRun "
            + r.specName()
            + "): "
            + r.model()
            + (r.against() == null ? "" : " against " + r.against())
            + (r.test() == null ? "" : ", " + r.test().labeledRows() + " labeled test rows"));
    if (r.modelTest() == null && r.againstTest() == null) {
      out.println("  (nothing scored yet)");
    }
    List<String> sets = new ArrayList<>();
    if (r.test() != null) {
      sets.add(r.test().name());
    }
    r.modelEvalSets().keySet().forEach(sets::add);
    r.againstEvalSets().keySet().stream().filter(k -> !sets.contains(k)).forEach(sets::add);
    String metric = r.metric();
    int width =
        Math.max(14, Math.max(r.model().length(), r.against() == null ? 0 : r.against().length()));
    boolean paired = r.against() != null;
    String vs = paired ? "vs " + abbreviate(r.against(), 20) : "";
    String columns =
        "  %-14s %-"
            + width
            + "s %12s %17s"
            + (paired ? " %" + Math.max(7, vs.length()) + "s %18s" : "%s%s")
            + " %9s %11s";
    if (!sets.isEmpty() && (r.modelTest() != null || r.againstTest() != null)) {
      out.println(
          String.format(
              Locale.ROOT,
              columns,
              "SET",
              "MODEL",
              abbreviate(metric, 12),
              "95% interval",
              vs,
              paired ? "95% interval" : "",
              "p95 ms",
              "$/1k req"));
      boolean close = false;
      for (String set : sets) {
        close |= evalRow(out, columns, set, r.model(), result(r, set, true), metric);
        if (paired) {
          close |= evalRow(out, columns, set, r.against(), result(r, set, false), metric);
        }
      }
      if (close) {
        out.println("  * the interval includes 0: this set cannot tell the two models apart");
      }
    }
    if (r.judge() != null) {
      out.println("  " + judge(r.judge(), r.judgeStanding()));
    }
    r.notes().forEach(n -> out.println("  note: " + n));
    List<String> lines = new ArrayList<>();
    for (String set : sets) {
      evalRunOverRun(lines, set, r.model(), result(r, set, true));
      if (r.against() != null) {
        evalRunOverRun(lines, set, r.against(), result(r, set, false));
      }
    }
    if (!lines.isEmpty()) {
      out.println(
          "  run over run (each eval vs the previous run of "
              + r.specName()
              + " on the same set):");
      lines.forEach(out::println);
    }
  }

  private static EvalResult result(EvalRunResult r, String set, boolean model) {
    if (r.test() != null && set.equals(r.test().name())) {
      return model ? r.modelTest() : r.againstTest();
    }
    return (model ? r.modelEvalSets() : r.againstEvalSets()).get(set);
  }

  /** One row of the eval table; whether its difference is too close to tell apart. */
  private static boolean evalRow(
      PrintWriter out, String columns, String set, String model, EvalResult e, String metric) {
    if (e == null) {
      out.println(String.format(Locale.ROOT, columns, set, model, "...", "", "", "", "", ""));
      return false;
    }
    Intervals i = e.intervals();
    Comparison vs = i == null ? null : i.vsReference();
    Usage u = e.usage();
    out.println(
        String.format(
            Locale.ROOT,
            columns,
            set,
            model,
            String.format(Locale.ROOT, "%.3f", Scores.of(e.metrics(), metric)),
            i == null ? "-" : String.format(Locale.ROOT, "%.3f to %.3f", i.lo(), i.hi()),
            vs == null ? "" : String.format(Locale.ROOT, "%+.3f", vs.difference()),
            vs == null
                ? ""
                : String.format(Locale.ROOT, "%+.3f to %+.3f", vs.lo(), vs.hi())
                    + (vs.tellsApart() ? " " : "*"),
            u == null ? "-" : millis(u.latencyP95Millis()),
            u == null ? "-" : dollars(u.costPer1kRequests())));
    return vs != null && !vs.tellsApart();
  }

  private static void evalRunOverRun(List<String> lines, String set, String model, EvalResult e) {
    if (e == null) {
      return;
    }
    if (e.previousRun() == null) {
      lines.add(
          "    " + model + " on " + set + ": no earlier run of this spec evaluated it on this set");
      return;
    }
    List<String> text = runOverRun(model, e.previousRun());
    lines.add("    " + model + " on " + set + ": " + text.get(0));
    lines.add("      " + text.get(1));
  }

  /**
   * A judge's verdict beside its agreement with people, e.g. {@code judge local-judge: 41 wins, 12
   * ties, 7 losses of 60 pairs, flip rate 0.15; alignment: agreement 0.83, kappa 0.71 (floor
   * 0.60)}.
   */
  static String judge(JudgeResult j, JudgeStanding standing) {
    String text =
        String.format(
            Locale.ROOT,
            "judge %s: %d wins, %d ties, %d losses of %d pairs, flip rate %.2f",
            j.judgeModel(),
            j.wins(),
            j.ties(),
            j.losses(),
            j.pairs(),
            j.flipRate());
    if (j.skipped() > 0) {
      text += String.format(Locale.ROOT, " (%d rows over the budget skipped)", j.skipped());
    }
    return standing == null ? text : text + "; " + standing.alignmentSummary();
  }

  private static void row(
      PrintWriter out, String model, String set, EvalResult r, List<String> metrics) {
    StringBuilder line =
        new StringBuilder(String.format("    %-44s %-14s", abbreviate(model, 44), set));
    for (String m : metrics) {
      line.append(String.format(Locale.ROOT, " %15.3f", Scores.of(r.metrics(), m)));
    }
    Usage u = r.usage();
    line.append(
        String.format(
            Locale.ROOT,
            " %9s %9s %11s",
            u == null ? "-" : millis(u.latencyP50Millis()),
            u == null ? "-" : millis(u.latencyP95Millis()),
            u == null ? "-" : dollars(u.costPer1kRequests())));
    out.println(line);
  }

  /** A score's 95% interval on the test set, and the difference to the baseline with its own. */
  static String interval(Intervals i) {
    String text =
        String.format(
            Locale.ROOT,
            "%s 95%% interval %.3f to %.3f over %d rows",
            i.metric(),
            i.lo(),
            i.hi(),
            i.rows());
    Comparison vs = i.vsReference();
    if (vs != null) {
      text +=
          String.format(
              Locale.ROOT,
              "; vs %s %+.3f (%+.3f to %+.3f)%s",
              vs.model(),
              vs.difference(),
              vs.lo(),
              vs.hi(),
              vs.tellsApart() ? "" : ", too close to tell apart on this test set");
    }
    return text;
  }

  /** What a candidate's training took and which checkpoint it is. */
  static String training(CandidateResult c) {
    List<String> parts = new ArrayList<>();
    if (c.trainedTokens() != null) {
      parts.add(String.format(Locale.ROOT, "%,d trained tokens", c.trainedTokens()));
    }
    if (c.trainingCost() != null) {
      parts.add(String.format(Locale.ROOT, "training cost $%.2f", c.trainingCost()));
    }
    if (c.checkpoint() != null) {
      parts.add(
          String.format(
              Locale.ROOT,
              "checkpoint at step %d, best of %d on the validation set (%s %.3f)",
              c.checkpoint().step(),
              c.checkpoint().scored(),
              c.checkpoint().metric(),
              c.checkpoint().validationScore()));
    }
    return String.join("; ", parts);
  }

  /** Milliseconds with one decimal, or "-" when unknown. */
  static String millis(Double ms) {
    return ms == null ? "-" : String.format(Locale.ROOT, "%.1f", ms);
  }

  /** Dollars with four decimals (a request costs fractions of a cent), or "-" when unknown. */
  static String dollars(Double usd) {
    return usd == null ? "-" : String.format(Locale.ROOT, "$%.4f", usd);
  }

  static void drift(String id, DriftResult d, PrintWriter out) {
    out.println(
        id
            + " (DriftCheck): model "
            + d.modelName()
            + " v"
            + d.modelVersion()
            + " ("
            + d.modelId()
            + ")");
    if (d.statistics() == null) {
      out.println("  " + d.note());
      return;
    }
    if (d.batchFiles() != null && d.batchFiles().size() > 1) {
      out.println("  batch files: " + String.join(", ", d.batchFiles()));
    } else if (d.batchFiles() != null
        && d.batchFiles().size() == 1
        && d.batchFiles().get(0).startsWith("traces of ")) {
      out.println("  batch: " + d.batchFiles().get(0)); // from the gateway's traces
    }
    out.printf(
        Locale.ROOT,
        "  batch: %d rows, %d labeled; new-vocabulary rate %.3f; label distance %s%n",
        d.statistics().batchRows(),
        d.statistics().labeledRows(),
        d.statistics().newVocabularyRate(),
        format(d.statistics().labelDistance()));
    List<String> fields = fieldDrifts(d.statistics());
    if (!fields.isEmpty()) {
      out.println("  per field:");
      fields.forEach(line -> out.println("    " + line));
    }
    out.println("  live metrics of the current model on labeled rows: " + format(d.liveMetrics()));
    out.println("  report: " + d.statistics().report().path());
    if (!d.drifted()) {
      out.println("  no drift past the thresholds");
      return;
    }
    out.println("  DRIFT: " + String.join("; ", d.exceeded()));
    if (d.retrainWorkflowId() != null) {
      out.println(
          "  retraining started: "
              + d.retrainWorkflowId()
              + " with "
              + d.freshRowsAdded()
              + " fresh rows added; current model on the fresh hold-out: "
              + format(d.currentModelOnFreshHoldout()));
      out.println("  follow it: ./finetune status " + d.retrainWorkflowId());
    } else if (d.note() != null) {
      out.println("  retraining " + d.note());
    }
  }

  /**
   * One line per output field: the statistic its type calls for against its threshold, whether it
   * exceeded it, and what was seen, e.g. {@code callback_date (date): out-of-range rate 0.960 (max
   * 0.050) EXCEEDED - years never seen in training: 2024 (48 of 50 rows)}. None from servers that
   * predate field types.
   */
  static List<String> fieldDrifts(DriftStatistics s) {
    List<String> lines = new ArrayList<>();
    for (FieldDrift f : s.fields()) {
      lines.add(
          String.format(
              Locale.ROOT,
              "%s (%s): %s %.3f (max %.3f) %s%s",
              f.field(),
              f.type(),
              f.statistic(),
              f.value(),
              f.limit(),
              f.exceeded() ? "EXCEEDED" : "ok",
              f.detail() == null || f.detail().isBlank() ? "" : " - " + f.detail()));
    }
    return lines;
  }

  static String format(Map<String, Double> metrics) {
    StringBuilder sb = new StringBuilder();
    metrics.forEach(
        (k, v) ->
            sb.append(sb.length() == 0 ? "" : ", ")
                .append(k)
                .append(' ')
                .append(String.format(Locale.ROOT, "%.3f", v)));
    return sb.length() == 0 ? "(none)" : sb.toString();
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
