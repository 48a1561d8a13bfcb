package io.finetune.bench.scale;

import io.finetune.activities.spec.SpecLoader;
import io.finetune.bench.StubProvider;
import io.finetune.devserver.TemporalCliDevServer;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.eval.EvalRun;
import io.finetune.workflows.eval.EvalRunInput;
import io.finetune.workflows.eval.EvalRunResult;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.client.BatchRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Issue 11's scale figures, each a ratio or a count from one run (these machines are noisy), with
 * its goal and PASS or MISS. The server (the Temporal CLI's dev server when given, else the
 * embedded test server), the workers ({@link BenchWorker}) and the stub provider ({@link
 * StubProvider}) each run in a process of their own; this process is the client. Prints progress on
 * stderr and the Markdown table on stdout. Exit 1 when a run failed (a broken harness) or, with
 * {@code --quick}, when a count misses its goal (timings are printed, never asserted).
 *
 * <pre>java io.finetune.bench.scale.ScaleBench WORK_DIR [--quick] [--temporal-cli PATH]</pre>
 *
 * Settings (system properties, for reruns after a change): {@code eval.examples} (10000), {@code
 * eval.concurrency} (8,32,128), {@code eval.workers} (2), {@code eval.large} (100000), {@code
 * history.rows} (1000,100000), {@code many.runs} (200), {@code stage.millis} (1000), {@code
 * worker.pollers} (unset: the SDK's default of 5 workflow-task and 5 activity-task pollers, as the
 * production worker has them), {@code skip} (overhead,many,eval,history), {@code server.memory}
 * (true: the CLI's dev server without its SQLite file), {@code worker.jvm} (more options for the
 * worker JVMs, space-separated).
 */
public final class ScaleBench {
  /** The activities an eval's answers and scoring run in: one evaluate, or shards and scoring. */
  static final Set<String> EVAL_ACTIVITIES = Set.of("Evaluate", "AnswerShard", "ScoreShards");

  private static final String BY = "bench";

  /** One line of the table. */
  record Row(String figure, String value, String goal, String result) {}

  private final Path work;
  private final boolean quick;
  private final String java = ProcessHandle.current().info().command().orElse("java");
  private final String classpath = System.getProperty("java.class.path");
  private final List<Process> processes = new ArrayList<>();
  private final List<Row> rows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private boolean failed;
  private boolean countMissed;
  private String server;
  private ProcessHandle serverProcess;
  private WorkflowClient client;

  private ScaleBench(Path work, boolean quick) {
    this.work = work;
    this.quick = quick;
  }

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]);
    boolean quick = Arrays.asList(args).contains("--quick");
    int cli = Arrays.asList(args).indexOf("--temporal-cli");
    Path temporalCli = cli >= 0 ? Path.of(args[cli + 1]) : null;
    ScaleBench bench = new ScaleBench(work, quick);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> ProcessHandle.current().children().forEach(ProcessHandle::destroy)));
    int status;
    try {
      status = bench.run(temporalCli);
    } finally {
      bench.stopAll();
    }
    System.exit(status);
  }

  private int run(Path temporalCli) throws Exception {
    long started = System.nanoTime();
    TemporalCliDevServer cliServer = null;
    String target;
    if (temporalCli != null
        && Files.isExecutable(temporalCli)
        && Boolean.getBoolean("server.memory")) {
      // An experiment: the same CLI dev server keeping its state in memory (no SQLite file).
      int port = TemporalCliDevServer.freeDevPort();
      List<String> command =
          new ArrayList<>(
              List.of(
                  temporalCli.toString(),
                  "server",
                  "start-dev",
                  "--ip",
                  "127.0.0.1",
                  "--port",
                  String.valueOf(port),
                  "--ui-port",
                  String.valueOf(port + 1000),
                  "--headless",
                  "--log-level",
                  "warn"));
      FinetuneSearchAttributes.definitions()
          .forEach(
              (name, type) ->
                  command.addAll(
                      List.of(
                          "--search-attribute",
                          name + "=" + io.finetune.devserver.SearchAttributeTypes.name(type))));
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(work.resolve("temporal-memory.log").toFile())
              .start();
      processes.add(p);
      target = "127.0.0.1:" + port;
      serverProcess = p.toHandle();
      server = "Temporal CLI dev server (" + version(temporalCli) + ", in memory)";
      awaitServer(target);
    } else if (temporalCli != null && Files.isExecutable(temporalCli)) {
      cliServer =
          TemporalCliDevServer.start(
              temporalCli, 0, 0, work.resolve("temporal"), FinetuneSearchAttributes.definitions());
      target = cliServer.target();
      serverProcess = cliServer.process();
      server = "Temporal CLI dev server (" + version(temporalCli) + ", SQLite file)";
    } else {
      Process p = start("server", EmbeddedServer.class, List.of("-Xmx1g"));
      target = "127.0.0.1:" + firstLine(p, "server", "port ").split(" ", -1)[1];
      serverProcess = p.toHandle();
      server = "embedded test server (Temporal CLI not installed: scripts/install-temporal-cli)";
    }
    log("server: %s on %s", server, target);
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
    client = WorkflowClient.newInstance(service);
    try {
      List<String> skip = Arrays.asList(System.getProperty("skip", "").split(","));
      if (!skip.contains("overhead") || !skip.contains("many")) {
        Process stubWorker = startWorker("worker-stub", "bench-stub", "stub", "-Xmx1g");
        if (!skip.contains("overhead")) {
          overhead();
        }
        if (!skip.contains("many")) {
          manyRuns(stubWorker);
        }
        stop(stubWorker);
      }
      if (!skip.contains("eval")) {
        evalThroughput();
      }
      if (!skip.contains("history")) {
        historyAndPayloads();
      }
      rows.add(
          new Row(
              "Memory and rate: 1 GB JSONL through import, split and profiling with the worker at"
                  + " -Xmx256m (peak heap, rows/s)",
              "measured by bench/dataset-streaming.sh (bench/results/dataset-streaming.md)",
              "≥ 100k rows/s, fits -Xmx256m",
              "—"));
    } catch (Exception e) {
      failed = true;
      notes.add("harness stopped early: " + e);
      log("FAILED: %s", e);
      e.printStackTrace();
    } finally {
      service.shutdownNow();
      if (cliServer != null) {
        cliServer.close();
      }
    }
    printTable((System.nanoTime() - started) / 1e9);
    return failed || (quick && countMissed) ? 1 : 0;
  }

  // ---- 1. overhead ------------------------------------------------------------------------------

  private void overhead() throws Exception {
    long stage = Long.getLong("stage.millis", quick ? 100 : 1000);
    Path spec = pipelineSpec("overhead", 1000, List.of());
    int warmups = quick ? 1 : 3;
    String last = null;
    for (int i = 0; i < warmups; i++) {
      last = "warm-sleep5-pipeline-" + i;
      pipeline(spec, last, "bench-stub");
      bare(last.replace("pipeline", "bare"), 14, "bench-stub");
    }
    int n = RunHistory.of(client, last).activities().size();
    log("overhead: %d activities per pipeline run, %d ms each", n, stage);
    // Pipeline and bare workflow in turns, so that both see the same moments of a shared machine;
    // the medians are reported.
    int repeats = Integer.getInteger("overhead.repeats", quick ? 1 : 3);
    List<Double> pipelineWalls = new ArrayList<>();
    List<Double> bareWalls = new ArrayList<>();
    List<Double> perStageRatios = new ArrayList<>();
    String exec = "workflow_task_execution_latency";
    double ourExecMs = 0;
    double ourWfts = 0;
    double bareExecMs = 0;
    double bareWfts = 0;
    List<long[]> ourTaskTimes = new ArrayList<>();
    List<long[]> bareTaskTimes = new ArrayList<>();
    RunHistory h = null;
    for (int r = 0; r < repeats; r++) {
      String id = "overhead-sleep" + stage + "-pipeline-" + r;
      Map<String, Double> m0 = metrics("worker-stub");
      long t0 = System.nanoTime();
      pipeline(spec, id, "bench-stub");
      double wall = (System.nanoTime() - t0) / 1e9;
      Map<String, Double> m1 = metrics("worker-stub");
      h = RunHistory.of(client, id);
      n = h.activities().size();
      String bareId = "overhead-sleep" + stage + "-bare-" + r;
      t0 = System.nanoTime();
      bare(bareId, n, "bench-stub");
      double bareWallR = (System.nanoTime() - t0) / 1e9;
      Map<String, Double> m2 = metrics("worker-stub");
      ourExecMs += diff(m1, m0, exec + ".ms");
      ourWfts += diff(m1, m0, exec + ".count");
      bareExecMs += diff(m2, m1, exec + ".ms");
      bareWfts += diff(m2, m1, exec + ".count");
      ourTaskTimes.addAll(h.workflowTaskTimes());
      bareTaskTimes.addAll(RunHistory.of(client, bareId).workflowTaskTimes());
      double at = n * stage / 1000.0;
      pipelineWalls.add(wall);
      bareWalls.add(bareWallR);
      perStageRatios.add((wall - at) / (bareWallR - at));
      log(
          "overhead %d: pipeline %.3f s, bare %.3f s for %d x %d ms; %.1f vs %.1f ms per activity",
          r, wall, bareWallR, n, stage, (wall - at) / n * 1000, (bareWallR - at) / n * 1000);
    }
    double pipelineWall = median(pipelineWalls);
    double bareWall = median(bareWalls);
    double ourExec = ourExecMs / ourWfts;
    double bareExec = bareExecMs / bareWfts;
    double[] ourTasks = RunHistory.meanTimes(ourTaskTimes);
    double[] bareTasks = RunHistory.meanTimes(bareTaskTimes);
    double activityTime = n * stage / 1000.0;
    double ratio = pipelineWall / activityTime;
    double ours = (pipelineWall - activityTime) / n * 1000;
    double floor = (bareWall - activityTime) / n * 1000;
    log(
        "overhead, medians: pipeline %.3f s, bare %.3f s; %.1f vs %.1f ms per activity",
        pipelineWall, bareWall, ours, floor);
    rows.add(
        timed(
            String.format(
                Locale.ROOT,
                "Overhead: pipeline wall time / activity time (%d stub stages of %d ms, %d"
                    + " workflows; median of %d)",
                n,
                stage,
                h.workflows(),
                repeats),
            String.format(
                Locale.ROOT,
                "%.3f (%.2f s / %.2f s; the bare SDK workflow: %.3f)",
                ratio,
                pipelineWall,
                activityTime,
                bareWall / activityTime),
            "≤ 1.02",
            ratio <= 1.02));
    rows.add(
        timed(
            String.format(
                Locale.ROOT,
                "Overhead per stage vs a bare SDK workflow of as many activities (same run;"
                    + " median of %d turns)",
                repeats),
            String.format(
                Locale.ROOT,
                "%.2f× (%.1f ms vs %.1f ms per activity; turns: %s)",
                ours / floor,
                ours,
                floor,
                perStageRatios.stream()
                    .map(x -> String.format(Locale.ROOT, "%.2f×", x))
                    .collect(Collectors.joining(", "))),
            "≤ 1.5× the bare floor",
            ours <= 1.5 * floor));
    notes.add(
        String.format(
            Locale.ROOT,
            "Overhead: the real FineTunePipelineImpl and its TrainCandidateImpl child on a worker"
                + " process with stub activities (each sleeps %d ms, returns small references),"
                + " decisions signalled at start; the bare workflow runs %d activities of the same"
                + " stub one after another on the same worker; %d warm-up runs of each first."
                + " Pipeline history: %d events, %d workflow tasks (bare: %d); a workflow task"
                + " waited %.1f ms for the worker and took %.1f ms from its start to its recorded"
                + " completion on average (bare: %.1f and %.1f ms), from the histories; of that,"
                + " the worker's own work on a task (SDK metric %s) was %.1f ms over %.0f"
                + " tasks a run (bare: %.1f ms).",
            stage,
            n,
            warmups,
            h.events(),
            h.workflowTasks(),
            n + 1,
            ourTasks[0],
            ourTasks[1],
            bareTasks[0],
            bareTasks[1],
            exec,
            ourExec,
            ourWfts / repeats,
            bareExec));
  }

  // ---- 4. many runs -----------------------------------------------------------------------------

  private void manyRuns(Process worker) throws Exception {
    int runs = Integer.getInteger("many.runs", quick ? 10 : 200);
    Path spec = pipelineSpec("many", 100, List.of());
    log("many runs: %d pipelines at once on one worker, stages of 10 ms", runs);
    Path out = work.resolve("worker-stub.out");
    Map<String, Double> m0 = metrics("worker-stub");
    int heapLinesBefore = Files.readAllLines(out).size();
    long cpuWorker0 = cpuMillis(worker.pid());
    long cpuServer0 = cpuMillis(serverProcess.pid());
    long cpuClient0 = cpuMillis(ProcessHandle.current().pid());
    long machineBusy0 = machineBusyMillis();
    AtomicLong peakRss = new AtomicLong();
    ExecutorService sampler = Executors.newSingleThreadExecutor();
    CompletableFuture<Void> stopSampling = new CompletableFuture<>();
    Future<?> unused =
        sampler.submit(
            () -> {
              while (!stopSampling.isDone()) {
                peakRss.accumulateAndGet(rssBytes(worker.pid()), Math::max);
                sleep(200);
              }
              return null;
            });
    ExecutorService starters = Executors.newFixedThreadPool(8);
    long t0 = System.nanoTime();
    List<CompletableFuture<PipelineStatus>> results = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      String id = "many-sleep10-" + i;
      results.add(
          CompletableFuture.supplyAsync(() -> startPipeline(spec, id, "bench-stub"), starters)
              .thenCompose(s -> s.getResultAsync(PipelineStatus.class)));
    }
    int ok = 0;
    for (CompletableFuture<PipelineStatus> r : results) {
      try {
        ok += r.get(10, TimeUnit.MINUTES).outcome() == Outcome.PROMOTED ? 1 : 0;
      } catch (Exception e) {
        log("many runs: a run failed: %s", e);
      }
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    stopSampling.complete(null);
    sampler.shutdown();
    starters.shutdown();
    double workerCpu = (cpuMillis(worker.pid()) - cpuWorker0) / 1000.0;
    double serverCpu = (cpuMillis(serverProcess.pid()) - cpuServer0) / 1000.0;
    double clientCpu = (cpuMillis(ProcessHandle.current().pid()) - cpuClient0) / 1000.0;
    double machineBusy = (machineBusyMillis() - machineBusy0) / 1000.0;
    long peakHeap = peakHeap("worker-stub", heapLinesBefore);
    RunHistory one = RunHistory.of(client, "many-sleep10-0");
    Map<String, Double> m1 = metrics("worker-stub");
    notes.add(
        String.format(
            Locale.ROOT,
            "Many runs, the worker's SDK metrics over the phase: a workflow task waited %.0f ms on"
                + " average to be picked up (schedule to start) and the worker worked %.1f ms on"
                + " it; an activity waited %.0f ms; sticky cache: %.0f hits, %.0f misses (a miss"
                + " replays the whole history), %.0f evictions for want of workflow threads.",
            mean(m1, m0, "workflow_task_schedule_to_start_latency"),
            mean(m1, m0, "workflow_task_execution_latency"),
            mean(m1, m0, "activity_schedule_to_start_latency"),
            diff(m1, m0, "sticky_cache_hit"),
            diff(m1, m0, "sticky_cache_miss"),
            diff(m1, m0, "sticky_cache_thread_forced_eviction")));
    if (ok != runs) {
      failed = true;
    }
    double perMinute = ok / wall * 60;
    log(
        "many runs: %d/%d promoted in %.1f s (%.0f/min); worker heap peak %d MB, RSS %d MB;"
            + " CPU: worker %.1f s, server %.1f s",
        ok, runs, wall, perMinute, peakHeap >> 20, peakRss.get() >> 20, workerCpu, serverCpu);
    rows.add(
        new Row(
            String.format(
                Locale.ROOT,
                "Many runs: %d concurrent pipelines (stages of 10 ms) on one worker",
                runs),
            String.format(
                Locale.ROOT,
                "%.0f runs/min (%d/%d ok in %.1f s); worker heap peak %d MB, RSS %d MB",
                perMinute,
                ok,
                runs,
                wall,
                peakHeap >> 20,
                peakRss.get() >> 20),
            "runs/min and heap; what bounds it",
            ok == runs ? "info" : "MISS: runs failed"));
    double cores = Runtime.getRuntime().availableProcessors();
    notes.add(
        String.format(
            Locale.ROOT,
            "Many runs: each run is %d activities and %d workflow tasks in %d workflows (%.0f"
                + " workflow tasks/s, %.0f activities/s overall). CPU time / wall time over the"
                + " %.1f s: worker %.2f, Temporal server %.2f, client %.2f cores; the whole"
                + " machine was busy %.2f of its %.0f cores (the rest: other work on it). The"
                + " server's persistence takes most of it; the worker spends %.0f ms of CPU per"
                + " run. The worker sets no worker options (SDK defaults: 5 pollers and 200 slots"
                + " each for workflow and activity tasks, a cache of 600 workflows, 600 workflow"
                + " threads): with more cores those pollers, slots and the cache (a run holds two"
                + " workflows while it trains) are the next bound.",
            one.activities().size(),
            one.workflowTasks(),
            one.workflows(),
            one.workflowTasks() * (double) ok / wall,
            one.activities().size() * (double) ok / wall,
            wall,
            workerCpu / wall,
            serverCpu / wall,
            clientCpu / wall,
            machineBusy / wall,
            cores,
            workerCpu * 1000 / Math.max(1, ok)));
  }

  // ---- 2. eval throughput -----------------------------------------------------------------------

  private void evalThroughput() throws Exception {
    int examples = Integer.getInteger("eval.examples", quick ? 1000 : 10_000);
    int[] concurrencies =
        Arrays.stream(System.getProperty("eval.concurrency", quick ? "32" : "8,32,128").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    int workers = Integer.getInteger("eval.workers", 2);
    int large = Integer.getInteger("eval.large", quick ? 0 : 100_000);
    long latency = 50;
    Process stub = start("stub-50ms", StubProvider.class, List.of(), String.valueOf(latency));
    String url =
        "http://127.0.0.1:" + firstLine(stub, "stub-50ms", "port ").split(" ", -1)[1] + "/v1";
    Path warmSpec = evalSpec("eval-warm", quick ? 200 : 500);
    Path spec = evalSpec("eval-" + examples, examples);
    Map<Integer, double[]> byConcurrency = new LinkedHashMap<>();
    RunHistory events10k = null;
    for (int c : concurrencies) {
      String queue = "bench-eval-" + c;
      Process w = startWorker("worker-eval-" + c, queue, "real", "-Xmx1g", url, String.valueOf(c));
      eval(warmSpec, "warm-eval-" + c, queue);
      RunHistory h = eval(spec, "eval-c" + c, queue);
      stop(w);
      double span = h.span(EVAL_ACTIVITIES);
      double rate = examples / span;
      double ideal = c / (latency / 1000.0);
      byConcurrency.put(c, new double[] {rate, span});
      events10k = h;
      log(
          "eval C=%d: %d examples in %.2f s = %.0f/s of %.0f/s (%.3f); %d events",
          c, examples, span, rate, ideal, rate / ideal, h.events());
      rows.add(
          timed(
              String.format(
                  Locale.ROOT,
                  "Eval throughput: %,d examples, 50 ms stub, concurrency %d: achieved / (C / 50 ms)",
                  examples,
                  c),
              String.format(
                  Locale.ROOT, "%.3f (%.0f of %.0f answers/s)", rate / ideal, rate, ideal),
              "≥ 0.95",
              rate / ideal >= 0.95));
    }
    // The same eval with two worker processes on one task queue, each as the C=32 one (or the
    // largest concurrency measured, when 32 was not).
    int c2 = byConcurrency.containsKey(32) ? 32 : concurrencies[concurrencies.length - 1];
    if (workers > 1) {
      String queue = "bench-eval-workers";
      List<Process> ws = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        ws.add(
            startWorker(
                "worker-eval-multi-" + i, queue, "real", "-Xmx1g", url, String.valueOf(c2)));
      }
      // Warm both: as many warm-up evals at once as workers.
      List<CompletableFuture<RunHistory>> warm = new ArrayList<>();
      for (int i = 0; i < workers; i++) {
        String id = "warm-eval-multi-" + i;
        warm.add(CompletableFuture.supplyAsync(() -> evalUnchecked(warmSpec, id, queue)));
      }
      for (CompletableFuture<RunHistory> f : warm) {
        f.get();
      }
      RunHistory h = eval(spec, "eval-workers-" + workers, queue);
      ws.forEach(this::stop);
      double rate = examples / h.span(EVAL_ACTIVITIES);
      double one = byConcurrency.get(c2)[0];
      int evalActivities = h.activities(EVAL_ACTIVITIES).size();
      log(
          "eval, %d workers: %.0f/s vs %.0f/s with one (%.2f×); %d eval activities",
          workers, rate, one, rate / one, evalActivities);
      boolean met = rate / one >= 0.9 * workers;
      rows.add(
          timed(
              String.format(
                  Locale.ROOT,
                  "Eval throughput: %d worker processes on one task queue (C = %d each) / one",
                  workers,
                  c2),
              String.format(Locale.ROOT, "%.2f× (%.0f vs %.0f answers/s)", rate / one, rate, one),
              String.format(Locale.ROOT, "≥ %.1f×", 0.9 * workers),
              met,
              met
                  ? null
                  : evalActivities <= 2
                      ? String.format(
                          Locale.ROOT,
                          "the %,d examples were one evaluate activity (%d in the run, the test"
                              + " set's included): one eval runs on one worker, a second has"
                              + " nothing to take",
                          examples,
                          evalActivities)
                      : String.format(
                          Locale.ROOT,
                          "%d eval activities in the run, yet the rate grew %.2f×",
                          evalActivities,
                          rate / one)));
    }
    stop(stub);
    if (events10k != null) {
      rows.add(
          count(
              String.format(
                  Locale.ROOT, "Eval history events, %,d examples (whole eval run)", examples),
              events10k.events()
                  + " events, "
                  + events10k.activities(EVAL_ACTIVITIES).size()
                  + " eval activities (shards and scoring included)",
              "grows with batches, not examples",
              events10k.events() <= 500));
    }
    if (large > 0) {
      // History does not depend on the provider's latency: a 1 ms stub keeps this case short.
      Process fast = start("stub-1ms", StubProvider.class, List.of(), "1");
      String fastUrl =
          "http://127.0.0.1:" + firstLine(fast, "stub-1ms", "port ").split(" ", -1)[1] + "/v1";
      Process w =
          startWorker("worker-eval-large", "bench-eval-large", "real", "-Xmx2g", fastUrl, "128");
      RunHistory h = eval(evalSpec("eval-" + large, large), "eval-large", "bench-eval-large");
      stop(w);
      stop(fast);
      log("eval of %d examples: %d events", large, h.events());
      rows.add(
          count(
              String.format(
                  Locale.ROOT,
                  "Eval history events, %,d examples (1 ms stub, C = 128; history does not"
                      + " depend on latency)",
                  large),
              h.events()
                  + " events, "
                  + h.activities(EVAL_ACTIVITIES).size()
                  + " eval activities (shards and scoring included)",
              "≤ 500",
              h.events() <= 500));
    }
    notes.add(
        "Eval throughput: the real EvalRunImpl workflow (import, split, then the evals) with the"
            + " real DatasetActivitiesImpl and EvalActivitiesImpl on a worker process whose"
            + " inference pool has C threads (the worker's finetune.inference-concurrency), against"
            + " StubProvider answering after 50 ms; the examples are an eval set of the spec, the"
            + " training file has 40 rows (4 test rows evaluated alongside). The rate is the"
            + " examples over the time from the first evaluate activity's start to the last one's"
            + " completion, from the run's history (its child workflows included); one small warm-up"
            + " eval per worker first.");
  }

  // ---- 3. history and payloads ------------------------------------------------------------------

  private void historyAndPayloads() throws Exception {
    long[] sizes =
        Arrays.stream(System.getProperty("history.rows", quick ? "1000" : "1000,100000").split(","))
            .mapToLong(Long::parseLong)
            .toArray();
    Process fast = start("stub-1ms-history", StubProvider.class, List.of(), "1");
    String url =
        "http://127.0.0.1:"
            + firstLine(fast, "stub-1ms-history", "port ").split(" ", -1)[1]
            + "/v1";
    Process w = startWorker("worker-history", "bench-history", "real", "-Xmx4g", url, "32");
    List<RunHistory> hs = new ArrayList<>();
    for (long n : sizes) {
      Path spec = pipelineSpec("history-" + n, n, List.of());
      String id = "history-" + n;
      int linesBefore = Files.readAllLines(work.resolve("worker-history.out")).size();
      AtomicLong peakRss = new AtomicLong();
      Thread rss =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  peakRss.accumulateAndGet(rssBytes(w.pid()), Math::max);
                  try {
                    Thread.sleep(200);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              });
      rss.start();
      long t0 = System.nanoTime();
      PipelineStatus s = pipeline(spec, id, "bench-history");
      rss.interrupt();
      long heap = peakHeap("worker-history", linesBefore);
      RunHistory h = RunHistory.of(client, id);
      hs.add(h);
      log(
          "history at %d rows: %s in %.1f s; %d events, %d bytes, largest payload %d bytes (%s)",
          n,
          s.outcome(),
          (System.nanoTime() - t0) / 1e9,
          h.events(),
          h.bytes(),
          h.largestPayload(),
          h.largestPayloadAt());
      rows.add(
          count(
              String.format(Locale.ROOT, "History of a whole pipeline run, %,d rows", n),
              String.format(
                  Locale.ROOT,
                  "%d events, %,d bytes; largest payload %,d bytes (worker: heap peak %,d MB,"
                      + " RSS %,d MB at -Xmx4g)",
                  h.events(),
                  h.bytes(),
                  h.largestPayload(),
                  heap >> 20,
                  peakRss.get() >> 20),
              "flat; no payload over 64 KB",
              h.largestPayload() <= 64 * 1024));
    }
    stop(w);
    stop(fast);
    if (hs.size() > 1) {
      RunHistory first = hs.get(0);
      RunHistory lastH = hs.get(hs.size() - 1);
      double growth = lastH.bytes() / (double) first.bytes();
      rows.add(
          count(
              String.format(
                  Locale.ROOT,
                  "History bytes, %,d rows / %,d rows",
                  sizes[sizes.length - 1],
                  sizes[0]),
              String.format(
                  Locale.ROOT,
                  "%.2f× (events %d → %d, largest payload %,d → %,d bytes)",
                  growth,
                  first.events(),
                  lastH.events(),
                  first.largestPayload(),
                  lastH.largestPayload()),
              "flat (≤ 1.1×)",
              growth <= 1.1));
    }
    notes.add(
        "History and payloads: the real pipeline (with its candidate child) on generated"
            + " ticket-triage data (TriageJsonl, seed 1) with the real dataset activities (import,"
            + " split, profile) and eval activities (baseline and candidate on the 10% test set,"
            + " against a 1 ms stub) and stub training and registry stages; bytes are the"
            + " serialized histories of the run and its child, the largest payload the largest"
            + " single Payload anywhere in them (inputs, results, signals, markers, search"
            + " attributes).");
  }

  // ---- runs -------------------------------------------------------------------------------------

  private WorkflowStub startPipeline(Path specFile, String id, String queue) {
    PipelineSpec spec = SpecLoader.load(specFile);
    FineTunePipeline p =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder().setTaskQueue(queue).setWorkflowId(id).build());
    BatchRequest start = client.newSignalWithStartRequest();
    start.add(p::run, new PipelineInput(spec, "bench"));
    start.add(p::decision, Decision.approve(Checkpoint.DATA_REVIEW, BY, "bench"));
    client.signalWithStart(start);
    // Early decisions are kept until their checkpoint opens: the run never waits for a person.
    p.decision(Decision.approve(Checkpoint.PROMOTION, BY, "bench"));
    return WorkflowStub.fromTyped(p);
  }

  private PipelineStatus pipeline(Path spec, String id, String queue) {
    PipelineStatus s = startPipeline(spec, id, queue).getResult(PipelineStatus.class);
    if (s.outcome() != Outcome.PROMOTED) {
      throw new IllegalStateException(id + " ended " + s.outcome() + ": " + s.outcomeReason());
    }
    return s;
  }

  private void bare(String id, int activities, String queue) {
    Bare.Chain chain =
        client.newWorkflowStub(
            Bare.Chain.class,
            WorkflowOptions.newBuilder().setTaskQueue(queue).setWorkflowId(id).build());
    chain.run(activities);
  }

  private RunHistory eval(Path specFile, String id, String queue) {
    EvalRun run =
        client.newWorkflowStub(
            EvalRun.class,
            WorkflowOptions.newBuilder().setTaskQueue(queue).setWorkflowId(id).build());
    EvalRunResult r =
        run.run(new EvalRunInput(SpecLoader.load(specFile), "bench-prompt", null, null));
    int scored = r.modelEvalSets().values().stream().mapToInt(e -> e.rows()).sum();
    log("eval %s: %d eval-set rows answered", id, scored);
    return RunHistory.of(client, id);
  }

  private RunHistory evalUnchecked(Path spec, String id, String queue) {
    return eval(spec, id, queue);
  }

  // ---- data and specs ---------------------------------------------------------------------------

  /** A spec over {@code rows} generated training rows (and the named eval sets), one size. */
  private Path pipelineSpec(String name, long rows, List<String[]> evalSets) throws IOException {
    Path dir = Files.createDirectories(work.resolve("data").resolve(name));
    TriageJsonl.write(dir.resolve("train.jsonl"), rows, 0, 1);
    StringBuilder yaml = new StringBuilder();
    yaml.append(
        """
        name: bench-triage
        dataset:
          path: train.jsonl
          inputField: input
          outputField: output
        outputFields: [category, priority]
        prompt: |
          Answer with a JSON object {"category": ..., "priority": ...}.
        target:
          metric: exact_match
          score: 0.9
          reason: quality
        model:
          sizes: [small]
          baseModels: {small: bench-small}
          promptModel: bench-prompt
        provider: bench
        split:
          testFraction: 0.10
          seed: 7
        approval:
          approvers: []
        """);
    if (!evalSets.isEmpty()) {
      yaml.append("evalSets:\n");
      for (String[] set : evalSets) {
        yaml.append("  - name: ").append(set[0]).append("\n    path: ").append(set[1]).append('\n');
      }
    }
    Path spec = dir.resolve("spec.yaml");
    Files.writeString(spec, yaml, StandardCharsets.UTF_8);
    return spec;
  }

  /** A spec whose eval set has {@code examples} generated rows (training: 40 rows, 4 tested). */
  private Path evalSpec(String name, long examples) throws IOException {
    Path dir = Files.createDirectories(work.resolve("data").resolve(name));
    TriageJsonl.write(dir.resolve("eval.jsonl"), examples, 0, 2);
    Path spec = pipelineSpec(name, 40, List.<String[]>of(new String[] {"examples", "eval.jsonl"}));
    return spec;
  }

  // ---- rows -------------------------------------------------------------------------------------

  private Row timed(String figure, String value, String goal, boolean met) {
    return timed(figure, value, goal, met, null);
  }

  private Row timed(String figure, String value, String goal, boolean met, String why) {
    String result = met ? "PASS" : "MISS" + (why == null ? "" : ": " + why);
    return new Row(figure, value, goal, quick ? "(quick: timing not judged)" : result);
  }

  private Row count(String figure, String value, String goal, boolean met) {
    if (!met) {
      countMissed = true;
    }
    return new Row(figure, value, goal, met ? "PASS" : "MISS");
  }

  private void printTable(double seconds) {
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Server: %s; %d cores; %s; %.0f s in all%s.%n%n",
        server,
        Runtime.getRuntime().availableProcessors(),
        "Java " + System.getProperty("java.version"),
        seconds,
        quick ? " (QUICK: a fraction of the work, timings not judged)" : "");
    System.out.println("| figure | measured | goal | result |");
    System.out.println("|---|---|---|---|");
    for (Row r : rows) {
      System.out.printf("| %s | %s | %s | %s |%n", r.figure(), r.value(), r.goal(), r.result());
    }
    System.out.println();
    for (String n : notes) {
      System.out.println("- " + n);
    }
  }

  // ---- processes --------------------------------------------------------------------------------

  private Process startWorker(String name, String queue, String mode, String heap, String... more)
      throws IOException, InterruptedException {
    List<String> args =
        new ArrayList<>(List.of(targetOf(), queue, mode, work.resolve(name).toString()));
    args.addAll(List.of(more));
    List<String> jvm = new ArrayList<>(List.of(heap));
    String pollers = System.getProperty("worker.pollers");
    if (pollers != null) {
      jvm.add("-Dworker.pollers=" + pollers);
    }
    String extra = System.getProperty("worker.jvm"); // e.g. a flight recording
    if (extra != null && !extra.isBlank()) {
      jvm.addAll(List.of(extra.trim().split("\\s+")));
    }
    Process p = start(name, BenchWorker.class, jvm, args.toArray(String[]::new));
    firstLine(p, name, "ready");
    return p;
  }

  private String targetOf() {
    return client.getWorkflowServiceStubs().getOptions().getTarget();
  }

  private Process start(String name, Class<?> main, List<String> jvm, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(jvm);
    command.addAll(List.of("-cp", classpath, main.getName()));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(work.resolve(name + ".out").toFile())
            .redirectError(work.resolve(name + ".log").toFile())
            .start();
    processes.add(p);
    return p;
  }

  private void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  private void stopAll() {
    processes.forEach(this::stop);
  }

  private String firstLine(Process p, String name, String prefix)
      throws IOException, InterruptedException {
    Path out = work.resolve(name + ".out");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      boolean exited = !p.isAlive();
      for (String line : Files.readAllLines(out)) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      if (exited) {
        break;
      }
      Thread.sleep(50);
    }
    throw new IOException("No '" + prefix.trim() + "' line from " + name + "; see " + work);
  }

  /** The worker's last metrics line ({@link BenchWorker#metrics}), after the SDK reported. */
  private Map<String, Double> metrics(String worker) throws IOException {
    sleep(1500);
    List<String> lines = Files.readAllLines(work.resolve(worker + ".out"));
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).startsWith("metrics")) {
        return parseMetrics(lines.get(i));
      }
    }
    return Map.of();
  }

  private static Map<String, Double> parseMetrics(String line) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (String kv : line.substring("metrics".length()).trim().split(" ", -1)) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        m.put(kv.substring(0, eq), Double.parseDouble(kv.substring(eq + 1)));
      }
    }
    return m;
  }

  private static double median(List<Double> xs) {
    List<Double> sorted = xs.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The most heap a worker had in use in its lines from {@code fromLine} on (bytes). */
  private long peakHeap(String worker, int fromLine) throws IOException {
    return Files.readAllLines(work.resolve(worker + ".out")).stream()
        .skip(fromLine)
        .filter(l -> l.startsWith("heap "))
        .mapToLong(l -> Long.parseLong(l.split(" ", -1)[2]))
        .max()
        .orElse(0);
  }

  private static double diff(Map<String, Double> after, Map<String, Double> before, String key) {
    return after.getOrDefault(key, 0.0) - before.getOrDefault(key, 0.0);
  }

  /** Mean of a timer between two snapshots, in ms (NaN without samples). */
  private static double mean(Map<String, Double> after, Map<String, Double> before, String timer) {
    double n = diff(after, before, timer + ".count");
    return n == 0 ? Double.NaN : diff(after, before, timer + ".ms") / n;
  }

  private static void awaitServer(String target) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      WorkflowServiceStubs stubs =
          WorkflowServiceStubs.newServiceStubs(
              WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
      try {
        stubs.healthCheck();
        return;
      } catch (RuntimeException notYet) {
        sleep(200);
      } finally {
        stubs.shutdownNow();
      }
    }
    throw new IllegalStateException("no Temporal server on " + target + " within 60 s");
  }

  private static String version(Path cli) {
    try {
      Process p = new ProcessBuilder(cli.toString(), "--version").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor();
      return v.replace("temporal version ", "CLI ");
    } catch (IOException | InterruptedException e) {
      return "version unknown";
    }
  }

  /** User + system CPU time of a process, from /proc (0 where there is none). */
  private static long cpuMillis(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 10; // USER_HZ is 100 on Linux
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** CPU time the whole machine spent busy (all but idle and iowait), from /proc/stat. */
  private static long machineBusyMillis() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+", -1);
      long busy = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) {
        if (i != 4 && i != 5) {
          busy += Long.parseLong(f[i]);
        }
      }
      return busy * 10;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  private static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return 0;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, "bench: " + format + "%n", args);
  }
}
