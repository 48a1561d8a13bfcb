package io.finetune.cli;

import io.finetune.activities.spec.SpecException;
import io.finetune.activities.spec.SpecLoader;
import io.finetune.cli.examples.BundledExamples;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.drift.DriftCheck;
import io.finetune.workflows.drift.DriftCheckInput;
import io.finetune.workflows.drift.DriftResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.Intervals;
import io.finetune.workflows.eval.EvalActivities.Usage;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.rollout.RolloutOutcome;
import io.finetune.workflows.rollout.RolloutResult;
import io.finetune.workflows.spec.EvalSetRole;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.training.CandidateResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "demo",
    description =
        "Runs a bundled example through the whole lifecycle on a Temporal dev server (prompt"
            + " baseline, data review, split, training per size, fast eval, judge, approval,"
            + " promotion, then a drift check on the example's production batch that triggers"
            + " retraining), approving the checkpoints itself and saying so.")
class DemoCommand implements Callable<Integer> {
  private static final String DEMO_REVIEWER = "demo-bot";

  /** An example's drifted batch: the demo's drift check runs on it when the example has one. */
  static final String BATCH_GLOB = "production-*.jsonl";

  @Option(
      names = "--example",
      description =
          "The example to run: a folder under examples/ with a spec.yaml (ticket-triage, the"
              + " default; call-logs; reply-drafts)")
  String example;

  @Option(names = "--spec", description = "A pipeline spec to run instead of an example")
  Path spec;

  @Option(
      names = "--batch",
      description =
          "Production batch for the drift check (default: the "
              + BATCH_GLOB
              + " beside the spec; without one the demo checks no drift)")
  Path batch;

  @Option(
      names = "--home",
      description =
          "Where this demo keeps its state (default: a new folder under $FINETUNE_HOME/demo)")
  Path home;

  @Spec CommandSpec commandSpec;

  @Option(
      names = "--chaos",
      description =
          "Share of provider requests (0-1) the local provider answers with a fault (429 with"
              + " Retry-After, 500, 503, a dropped connection): the run rides them out with the"
              + " same scores")
  double chaos;

  @Option(
      names = "--embedded",
      description = "Use the embedded in-memory server even when the Temporal CLI is installed")
  boolean embedded;

  @Option(
      names = "--no-production",
      description =
          "Stop after the drift check and retraining: no gateway, users or canaries (step 4)")
  boolean noProduction;

  private PrintWriter out;
  private String webUi;

  @Override
  public Integer call() throws Exception {
    out = commandSpec.commandLine().getOut();
    if (example != null && spec != null) {
      throw new UserError("give --example or --spec, not both");
    }
    Path specFile =
        spec != null
            ? spec
            : exampleSpec(
                Home.repo().resolve("examples"),
                example != null ? example : BundledExamples.DEFAULT);
    if (batch != null && !Files.isRegularFile(batch)) {
      throw new UserError(batch + ": no such batch file");
    }
    Path batchFile =
        batch != null ? batch : productionBatch(specFile.toAbsolutePath().getParent()).orElse(null);
    String stamp =
        LocalDateTime.now(ZoneId.systemDefault())
            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path demoHome = home != null ? home : Home.defaultHome().resolve("demo").resolve(stamp);
    PipelineSpec loaded;
    try {
      loaded = SpecLoader.load(specFile);
    } catch (SpecException e) {
      throw new UserError(e.getMessage());
    }
    Preflight.check(loaded); // a file the pipeline would refuse, before a server starts

    out.println("== finetune demo ==");
    out.println("Starting a Temporal dev server, the worker and the local provider...");
    if (chaos < 0 || chaos > 1) {
      throw new UserError("--chaos must be between 0 and 1, was " + chaos);
    }
    Map<String, Object> settings =
        chaos > 0 ? Map.of("finetune.local-provider.chaos.rate", chaos) : Map.of();
    try (DevEnvironment env =
        DevEnvironment.start(
            0, demoHome, embedded, true, settings, line -> out.println("  " + line))) {
      if (chaos > 0) {
        out.printf(
            Locale.ROOT,
            "  the local provider answers %.0f%% of requests with a fault%n",
            chaos * 100);
      }
      out.println("  " + env.server().description() + " on " + env.target());
      out.println("  state in " + demoHome);
      env.server().webUi().ifPresent(ui -> out.println("  Web UI: " + ui));
      webUi = env.server().webUi().orElse(null);
      WorkflowClient client = TemporalOptions.connect(env.target(), "default");

      String runId = loaded.name() + "-demo-" + stamp;
      out.println();
      out.println("== 1. Fine-tuning pipeline " + runId + " ==");
      FineTunePipeline pipeline =
          client.newWorkflowStub(
              FineTunePipeline.class,
              TemporalOptions.workflowOptions(runId, "Demo: fine-tune " + loaded.name()));
      WorkflowClient.start(pipeline::run, new PipelineInput(loaded, "demo"));
      link(runId);
      PipelineStatus first = drive(client, runId);
      Printer.pipeline(runId, first, out);

      out.println();
      DriftResult drift = null;
      if (batchFile == null) {
        out.println(
            "== 2. Drift check: skipped, "
                + specFile.toAbsolutePath().getParent().getFileName()
                + " has no "
                + BATCH_GLOB
                + " batch (give one with --batch) ==");
      } else {
        out.println("== 2. Drift check on " + batchFile.getFileName() + " ==");
        String driftId = loaded.name() + "-drift-demo-" + stamp;
        DriftCheck check =
            client.newWorkflowStub(
                DriftCheck.class,
                TemporalOptions.workflowOptions(driftId, "Demo: drift check of " + loaded.name()));
        if (first.outcome() == Outcome.PROMOTED) {
          drift =
              check.check(
                  new DriftCheckInput(
                      loaded.name(), batchFile.toAbsolutePath().normalize().toString(), true));
          Printer.drift(driftId, drift, out);
        } else {
          out.println("  skipped: no model was promoted, so there is none to check");
        }
      }
      PipelineStatus retrained = null;
      if (drift != null) {
        if (drift.retrainWorkflowId() != null) {
          out.println();
          out.println("== 3. Retraining " + drift.retrainWorkflowId() + " ==");
          link(drift.retrainWorkflowId());
          retrained = drive(client, drift.retrainWorkflowId());
          Printer.pipeline(drift.retrainWorkflowId(), retrained, out);
        }
      }
      List<RolloutResult> canaries = List.of();
      out.println();
      if (noProduction) {
        canaries = null; // the summary says it was skipped
        out.println("== 4. In production: skipped (--no-production) ==");
      } else if (first.outcome() == Outcome.PROMOTED) {
        out.println("== 4. In production: the gateway, users' feedback, two canaries ==");
        canaries = new DemoProduction(client, demoHome, loaded, out, stamp).run();
      } else {
        out.println("== 4. In production: skipped, no model was promoted ==");
      }
      int exit =
          summary(
              loaded,
              first,
              batchFile != null,
              drift,
              retrained,
              canaries,
              env.providerJobsCreated(),
              out);
      if (chaos > 0) {
        out.println("faults ridden out: " + env.providerFaults());
      }
      return exit;
    }
  }

  /** Where the run can be watched, when the server has a Web UI. */
  private void link(String workflowId) {
    if (webUi != null) {
      out.println("  watch it: " + webUi + "/namespaces/default/workflows/" + workflowId);
    }
  }

  /** Follows a run, approving each checkpoint as it opens, until the run ends. */
  private PipelineStatus drive(WorkflowClient client, String id) {
    FineTunePipeline run = client.newWorkflowStub(FineTunePipeline.class, id);
    while (true) {
      Optional<PipelineStatus> needed = Waits.untilDecisionNeeded(client, id, null);
      if (needed.isEmpty() || needed.get().outcome() != null) {
        try {
          return WorkflowStub.fromTyped(run).getResult(PipelineStatus.class);
        } catch (WorkflowFailedException e) {
          if (TemporalOptions.isInvalidInput(e)) {
            // A dataset row that cannot be read, say: the message says what to fix.
            throw new UserError(id + " failed: " + TemporalOptions.rootMessage(e));
          }
          throw e;
        }
      }
      PipelineStatus s = needed.get();
      Checkpoint cp = s.pendingCheckpoint();
      describeCheckpoint(id, s);
      out.println(
          "  The demo approves '"
              + cp
              + "' as "
              + DEMO_REVIEWER
              + " (you would run: ./finetune approve "
              + id
              + " --checkpoint "
              + cp
              + " --by <you>)");
      DecideCommand.decide(
          client, id, Decision.approve(cp, DEMO_REVIEWER, "approved by ./finetune demo"));
    }
  }

  private void describeCheckpoint(String id, PipelineStatus s) {
    out.println("  Checkpoint '" + s.pendingCheckpoint() + "' is open on " + id + ".");
    if (s.pendingCheckpoint() == Checkpoint.DATA_REVIEW && s.dataReport() != null) {
      out.println(
          "  Data report: "
              + Printer.dataReportSummary(s.dataReport())
              + "\n    "
              + s.dataReport().markdown().path()
              + (s.dataReport().html() == null
                  ? ""
                  : "\n    " + s.dataReport().html().path() + " (open in a browser: charts)"));
      s.dataReport().warnings().forEach(w -> out.println("    warning: " + w));
    } else if (s.pendingCheckpoint() == Checkpoint.PROMOTION) {
      Printer.scoreTable(s, out);
    }
  }

  /** The spec of the example {@code name} under {@code examples}, or what the examples are. */
  static Path exampleSpec(Path examples, String name) {
    Path specFile = examples.resolve(name).resolve("spec.yaml");
    if (name.contains("/") || name.contains("\\") || !Files.isRegularFile(specFile)) {
      List<String> known = examples(examples);
      throw new UserError(
          "no example '"
              + name
              + "' in "
              + examples
              + (known.isEmpty() ? "" : "; the examples are " + String.join(", ", known)));
    }
    return specFile;
  }

  /** The folders under {@code examples} with a spec.yaml, by name. */
  static List<String> examples(Path examples) {
    try (Stream<Path> dirs = Files.list(examples)) {
      return dirs.filter(d -> Files.isRegularFile(d.resolve("spec.yaml")))
          .map(d -> d.getFileName().toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** The example's production batch beside its spec (the first by name, if several). */
  static Optional<Path> productionBatch(Path dir) {
    try (DirectoryStream<Path> batches = Files.newDirectoryStream(dir, BATCH_GLOB)) {
      List<Path> found = new ArrayList<>();
      batches.forEach(found::add);
      return found.stream().sorted().findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The demo's summary and whether every stage did its job: a promoted candidate that beats the
   * prompt baseline; with a production batch ({@code batchExpected}), drift detected, a retraining
   * promoted, and the retrained model better on the fresh hold-out than the model in production;
   * the canaries of the production step as they should end ({@code canaries} null: the step was
   * skipped). Returns the exit code.
   */
  static int summary(
      PipelineSpec spec,
      PipelineStatus first,
      boolean batchExpected,
      DriftResult drift,
      PipelineStatus retrained,
      List<RolloutResult> canaries,
      long providerJobs,
      PrintWriter out) {
    String metric = spec.target().metric();
    out.println();
    out.println("== Summary ==");
    // One column per eval set the spec names (corner cases, ...), whatever it calls them.
    List<String> sets = spec.evalSets().stream().map(PipelineSpec.EvalSet::name).toList();
    StringBuilder header =
        new StringBuilder(
            String.format(
                Locale.ROOT, "%-48s %12s %15s", "model", metric + " (test)", "95% interval"));
    sets.forEach(set -> header.append(String.format(Locale.ROOT, " %14s", set)));
    // Latency last: it is the one figure that differs from run to run.
    header.append(
        String.format(Locale.ROOT, " %11s %10s %12s", "$/1k req", "training", "p95 latency"));
    out.println(header);
    double baseline = Scores.of(first.baseline().metrics(), metric);
    printRow(
        out,
        "prompt baseline (" + first.baseline().model() + ")",
        baseline,
        first.baseline().intervals(),
        scores(first.baselineEvalSets(), sets, metric),
        first.baseline().usage(),
        null);
    double best = 0;
    for (CandidateResult c : first.candidates()) {
      double score = Scores.of(c.test().metrics(), metric);
      best = Math.max(best, score);
      printRow(
          out,
          "fine-tuned " + c.label() + (c.modelId().equals(first.bestModel()) ? " (promoted)" : ""),
          score,
          c.test().intervals(),
          scores(c.evalSets(), sets, metric),
          c.test().usage(),
          c.trainingCost());
    }
    for (CandidateResult c : first.candidates()) {
      if (c.judge() != null) {
        out.println(c.label() + ": " + Printer.judge(c.judge(), first.judge()));
      }
    }
    if (first.gateVerdict() != null) {
      out.println("gate: " + first.gateVerdict());
    }
    out.println("outcome: " + first.outcome());
    boolean ok = first.outcome() == Outcome.PROMOTED && best > baseline;
    out.println();
    if (!batchExpected) {
      out.println("drift: not checked, the example has no production batch");
    } else if (drift == null) {
      out.println("drift: not checked, no model was promoted");
      ok = false;
    } else {
      ok &= driftSummary(spec, drift, out);
    }
    if (retrained != null && drift != null) {
      double before = Scores.of(drift.currentModelOnFreshHoldout(), metric);
      double bestFresh = 0;
      out.printf(Locale.ROOT, "%n%-48s %12s%n", "on the drifted data (fresh hold-out)", metric);
      printRow(out, "model in production before the drift check", before, List.of());
      for (CandidateResult c : retrained.candidates()) {
        var fresh = c.evalSets().get(EvalSetRole.FRESH_HOLDOUT_NAME);
        double score = fresh == null ? 0 : Scores.of(fresh.metrics(), metric);
        bestFresh = Math.max(bestFresh, score);
        printRow(
            out,
            "retrained "
                + c.label()
                + (c.modelId().equals(retrained.bestModel()) ? " (promoted)" : ""),
            score,
            List.of());
      }
      out.println("retraining outcome: " + retrained.outcome());
      if (bestFresh <= before) {
        out.println(
            "the retrained models do NOT beat the model in production on the fresh hold-out");
      }
      ok &= retrained.outcome() == Outcome.PROMOTED && bestFresh > before;
    } else if (batchExpected) {
      ok = false;
    }
    if (canaries == null) {
      out.println();
      out.println("production: skipped (--no-production)");
    } else {
      ok &= productionSummary(first, canaries, out);
    }
    ok &= onePerCandidate(providerJobs, first, retrained, out);
    out.println();
    out.println(
        ok
            ? "Demo finished: every stage did its job."
            : "Demo finished with unexpected results (see above).");
    return ok ? 0 : 1;
  }

  /**
   * The two canaries of the production step: the worse candidate must have been rolled back by the
   * slow eval and the rebuild rolled out. True when they were (or nothing was promoted to serve).
   */
  static boolean productionSummary(
      PipelineStatus first, List<RolloutResult> canaries, PrintWriter out) {
    out.println();
    if (first.outcome() != Outcome.PROMOTED) {
      out.println("production: not served, no model was promoted");
      return true;
    }
    for (RolloutResult r : canaries) {
      out.println(
          "canary v"
              + r.candidate()
              + ": "
              + r.outcome()
              + (r.slowEval() == null
                  ? ""
                  : String.format(
                      Locale.ROOT,
                      " (bad outcomes %.1f%% vs %.1f%% on v%d: %s)",
                      100 * r.slowEval().canary().badRate(),
                      100 * r.slowEval().stable().badRate(),
                      r.stable(),
                      r.slowEval().verdict())));
    }
    boolean ok =
        canaries.size() == 2
            && canaries.get(0).outcome() == RolloutOutcome.ROLLED_BACK
            && canaries.get(1).outcome() == RolloutOutcome.ROLLED_OUT;
    if (!ok) {
      out.println("the worse canary was NOT rolled back, or the rebuild NOT rolled out");
    }
    return ok;
  }

  /**
   * The drift check in a few lines: today's statistics and the live score, then each field's
   * statistic by its type and what exceeded its threshold. True when it found drift.
   */
  static boolean driftSummary(PipelineSpec spec, DriftResult drift, PrintWriter out) {
    if (drift.statistics() == null) {
      out.println("drift: nothing measured: " + drift.note());
      return false;
    }
    String liveMetric = spec.textTask() ? Scores.TEXT_EXACT_MATCH : Scores.EXACT_MATCH;
    StringBuilder line =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "drift: new-vocabulary rate %.3f (max %.3f)",
                drift.statistics().newVocabularyRate(),
                spec.drift().maxNewVocabularyRate()));
    // Statistics from before field types hold one label distance; typed ones say per field below.
    if (drift.statistics().fields().isEmpty() && !spec.textTask()) {
      line.append(
          String.format(
              Locale.ROOT,
              ", label distance %.3f (max %.3f)",
              drift.statistics().maxLabelDistance(),
              spec.drift().maxLabelDistance()));
    }
    line.append(
        drift.liveMetrics() == null || drift.liveMetrics().isEmpty()
            ? ", live " + liveMetric + " - (no labeled rows)"
            : String.format(
                Locale.ROOT,
                ", live %s %.3f (min %.3f)",
                liveMetric,
                Scores.of(drift.liveMetrics(), liveMetric),
                spec.drift().minAccuracy()));
    line.append(
        !drift.drifted()
            ? " -> no drift"
            : drift.retrainWorkflowId() != null
                ? " -> DRIFT, retraining triggered"
                : " -> DRIFT, no retraining: " + drift.note());
    out.println(line);
    Printer.fieldDrifts(drift.statistics()).forEach(l -> out.println("  " + l));
    if (drift.drifted()) {
      out.println("  exceeded: " + String.join("; ", drift.exceeded()));
    }
    return drift.drifted();
  }

  /** A model's score on each of {@code sets} (NaN where it was not scored on one). */
  private static List<Double> scores(
      Map<String, EvalResult> results, List<String> sets, String metric) {
    return sets.stream()
        .map(
            set ->
                results.containsKey(set)
                    ? Scores.of(results.get(set).metrics(), metric)
                    : Double.NaN)
        .toList();
  }

  private static void printRow(PrintWriter out, String name, double score, List<Double> perSet) {
    StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-48s %12.3f", name, score));
    perSet.forEach(v -> row.append(String.format(Locale.ROOT, " %14.3f", v)));
    out.println(row);
  }

  /** A summary row with what the model's answers cost and took, and what training it cost. */
  private static void printRow(
      PrintWriter out,
      String name,
      double score,
      Intervals interval,
      List<Double> perSet,
      Usage usage,
      Double trainingCost) {
    StringBuilder row =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "%-48s %12.3f %15s",
                name,
                score,
                interval == null
                    ? "-"
                    : String.format(Locale.ROOT, "%.3f-%.3f", interval.lo(), interval.hi())));
    perSet.forEach(v -> row.append(String.format(Locale.ROOT, " %14.3f", v)));
    row.append(
        String.format(
            Locale.ROOT,
            " %11s %10s %12s",
            usage == null ? "-" : Printer.dollars(usage.costPer1kRequests()),
            trainingCost == null ? "-" : String.format(Locale.ROOT, "$%.2f", trainingCost),
            usage == null || usage.latencyP95Millis() == null
                ? "-"
                : Printer.millis(usage.latencyP95Millis()) + " ms"));
    out.println(row);
  }

  /**
   * Every candidate trained by exactly one provider job, however many faults its requests met: a
   * retried job creation that made a second job would pay for training twice.
   */
  private static boolean onePerCandidate(
      long jobs, PipelineStatus first, PipelineStatus retrained, PrintWriter out) {
    if (jobs < 0) {
      return true; // not the embedded provider: its jobs are not ours to count
    }
    int candidates =
        first.candidates().size() + (retrained == null ? 0 : retrained.candidates().size());
    out.println();
    out.println(
        "provider jobs: "
            + jobs
            + " for "
            + candidates
            + " candidates"
            + (jobs == candidates ? " (one each)" : " (NOT one per candidate)"));
    return jobs == candidates;
  }
}
