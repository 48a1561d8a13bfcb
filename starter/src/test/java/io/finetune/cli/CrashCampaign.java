package io.finetune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.spec.SpecLoader;
import io.finetune.devserver.TemporalCliDevServer;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.drift.DriftCheck;
import io.finetune.workflows.drift.DriftCheckInput;
import io.finetune.workflows.drift.DriftResult;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.training.CandidateResult;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A crash campaign against the real Temporal dev server: {@code finetune dev --no-worker} and a
 * {@code finetune worker} in processes of their own, the worker killed with SIGKILL at seeded
 * random moments in every stage of a model's life (import, baseline eval, profiling, training poll,
 * candidate eval, promotion, drift check, retraining) and started again each time, and the dev
 * server itself stopped and started again once mid-run. Every run must end as an undisturbed
 * reference run with the same seed did (outcome and scores), with exactly one provider job per
 * candidate, one registry version per promoting run, and no half-written artifact.
 *
 * <p>Run by {@code CrashCampaignIT} and by {@code bench/crash-campaign.sh} ({@link #main}).
 */
public final class CrashCampaign {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the campaign is asked to do. */
  public record Config(Path repo, Path dir, int kills, long seed, Duration deadline) {}

  /** One kill -9 of the worker. */
  record Kill(int n, String lifecycle, String planned, String pendingAtKill, long restartNanos) {}

  /** What the campaign found. */
  public record Summary(
      int kills,
      int survived,
      int duplicateJobs,
      int duplicateVersions,
      int lostRuns,
      int mismatchedRuns,
      List<String> problems,
      List<Double> recoverySeconds,
      Set<String> stagesHit,
      boolean devRestarted,
      Duration took) {

    public String line() {
      return "crashes survived: "
          + survived
          + "/"
          + kills
          + ", duplicate jobs: "
          + duplicateJobs
          + ", duplicate versions: "
          + duplicateVersions
          + ", lost runs: "
          + lostRuns;
    }

    public double medianRecoverySeconds() {
      if (recoverySeconds.isEmpty()) {
        return Double.NaN;
      }
      List<Double> s = new ArrayList<>(recoverySeconds);
      Collections.sort(s);
      int m = s.size() / 2;
      return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }

    public String recoveryLine() {
      return String.format(
          java.util.Locale.ROOT,
          "median time from worker restart to the run's next progress: %.1f s (%d restarts"
              + " measured, max %.1f s)",
          medianRecoverySeconds(),
          recoverySeconds.size(),
          recoverySeconds.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
    }
  }

  /** A stage of a model's life to kill the worker in, in campaign order. */
  static final List<String> STAGES =
      List.of(
          "import",
          "baseline eval",
          "profiling",
          "training poll",
          "candidate eval",
          "promotion",
          "drift check",
          "retraining");

  private static final String APPROVER = "crash-campaign";

  private final Config config;
  private final PrintStream out;
  private final Random random;
  private final Path home;
  private final int port;
  private final List<Process> processes = new CopyOnWriteArrayList<>();
  private final List<Kill> kills = new CopyOnWriteArrayList<>();
  private final Map<Integer, Double> recoveries = new java.util.concurrent.ConcurrentHashMap<>();
  private final Set<String> stagesHit = Collections.synchronizedSet(new LinkedHashSet<>());
  private final ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor();
  private Process dev;
  private Process worker;
  private volatile int workerStarts;
  private int devStarts;
  private boolean devRestarted;
  private boolean gracefulRestartDone;
  private volatile long workerSpawnedNanos;
  private volatile boolean workerReadyNoted;
  private final List<Double> workerStartSeconds = new CopyOnWriteArrayList<>();
  private WorkflowServiceStubs service;
  private WorkflowClient client;

  CrashCampaign(Config config, PrintStream out) {
    this.config = config;
    this.out = out;
    this.random = new Random(config.seed());
    this.home = config.dir().resolve("home");
    // The dev server restarts on this port (and its Web UI on port + 1000).
    this.port = TemporalCliDevServer.freeDevPort();
  }

  public static void main(String[] args) throws Exception {
    int kills = 10;
    long seed = 1;
    Path dir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--kills" -> kills = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--dir" -> dir = Path.of(args[++i]);
        default -> {
          System.err.println("usage: CrashCampaign [--kills N] [--seed S] [--dir DIR]");
          System.exit(2);
        }
      }
    }
    if (dir == null) {
      dir = Files.createTempDirectory("crash-campaign");
    }
    Path repo = Path.of(System.getenv().getOrDefault("FINETUNE_REPO", ".")).toAbsolutePath();
    Summary s =
        run(new Config(repo.normalize(), dir, kills, seed, Duration.ofMinutes(20)), System.out);
    System.exit(passed(s) ? 0 : 1);
  }

  /** Whether the campaign met its bar: every crash survived, nothing duplicated or lost. */
  public static boolean passed(Summary s) {
    return s.kills() > 0
        && s.survived() == s.kills()
        && s.duplicateJobs() == 0
        && s.duplicateVersions() == 0
        && s.lostRuns() == 0
        && s.mismatchedRuns() == 0
        && s.problems().isEmpty()
        && s.devRestarted();
  }

  public static Summary run(Config config, PrintStream out) throws Exception {
    CrashCampaign c = new CrashCampaign(config, out);
    try {
      return c.campaign();
    } finally {
      c.stopEverything();
    }
  }

  // ---------------------------------------------------------------------------------- campaign

  private Summary campaign() throws Exception {
    long started = System.nanoTime();
    Files.createDirectories(home);
    say(
        "crash campaign: seed "
            + config.seed()
            + ", "
            + config.kills()
            + " kills, dev server on 127.0.0.1:"
            + port
            + ", state in "
            + config.dir());
    startDev();
    service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + port).build());
    client =
        WorkflowClient.newInstance(
            service, WorkflowClientOptions.newBuilder().setNamespace("default").build());
    startWorker();
    awaitWorkerReady();

    say("reference run (undisturbed)");
    Lifecycle reference = new Lifecycle("ref", List.of());
    reference.run();
    say("reference: " + reference.pipelineSignature);

    List<Lifecycle> disturbed = new ArrayList<>();
    int planned = 0;
    for (int n = 1; planned < config.kills(); n++) {
      List<String> plan = new ArrayList<>();
      for (String stage : STAGES) {
        if (planned < config.kills()) {
          plan.add(stage);
          planned++;
        }
      }
      disturbed.add(new Lifecycle("crash" + n, plan));
    }
    Future<?> unused =
        monitor.scheduleWithFixedDelay(
            () -> {
              try {
                watchRecoveries();
              } catch (RuntimeException e) {
                say("monitor: " + e); // keep watching
              }
            },
            200,
            200,
            TimeUnit.MILLISECONDS);
    for (Lifecycle l : disturbed) {
      say("run " + l.id + ": kills planned in " + l.plan);
      try {
        l.run();
      } catch (RuntimeException e) {
        l.failure = e.toString();
        say("run " + l.id + " did not end: " + e);
      }
    }
    // Give the last restarts a moment to be measured.
    sleep(500);
    monitor.shutdownNow();

    stopWorkerGracefully();
    List<String> problems = new ArrayList<>();
    int lost = 0;
    int mismatched = 0;
    Set<String> badLifecycles = new LinkedHashSet<>();
    for (Lifecycle l : disturbed) {
      for (Map.Entry<String, String> part : l.partsFailed().entrySet()) {
        lost++;
        badLifecycles.add(l.id);
        problems.add("lost run " + part.getKey() + ": " + part.getValue());
      }
      for (String what : l.mismatches(reference)) {
        mismatched++;
        badLifecycles.add(l.id);
        problems.add(l.id + ": " + what);
      }
    }
    int duplicateJobs = checkJobs(disturbed, reference, problems);
    int duplicateVersions = checkVersions(disturbed, reference, problems);
    problems.addAll(checkArtifacts());
    if (!devRestarted) {
      problems.add("the dev server was not restarted");
    }
    if (!gracefulRestartDone && !disturbed.isEmpty()) {
      problems.add("the worker was not restarted gracefully");
    }
    int survived = 0;
    for (Kill k : kills) {
      if (!badLifecycles.contains(k.lifecycle())) {
        survived++;
      }
    }
    List<Double> recovery = new ArrayList<>(recoveries.values());
    Summary s =
        new Summary(
            kills.size(),
            survived,
            duplicateJobs,
            duplicateVersions,
            lost,
            mismatched,
            problems,
            recovery,
            new LinkedHashSet<>(stagesHit),
            devRestarted,
            Duration.ofNanos(System.nanoTime() - started));
    for (Kill k : kills) {
      Double r = recoveries.get(k.n());
      say(
          String.format(
              java.util.Locale.ROOT,
              "kill %2d in %-8s planned %-15s pending %-40s next progress %s",
              k.n(),
              k.lifecycle(),
              k.planned(),
              k.pendingAtKill(),
              r == null ? "not seen" : String.format(java.util.Locale.ROOT, "%.1f s", r)));
    }
    problems.forEach(p -> say("PROBLEM: " + p));
    say("stages hit: " + s.stagesHit());
    say(s.recoveryLine());
    List<Double> starts = new ArrayList<>(workerStartSeconds);
    Collections.sort(starts);
    if (!starts.isEmpty()) {
      say(
          String.format(
              java.util.Locale.ROOT,
              "worker start-up (process start to polling), median of %d: %.1f s",
              starts.size(),
              starts.get(starts.size() / 2)));
    }
    say("campaign took " + s.took().toSeconds() + " s");
    out.println(s.line());
    out.flush();
    return s;
  }

  /**
   * One model's life: a pipeline (both checkpoints approved as they open), a drift check on the
   * drifted 2024 batch, and the retraining run it starts (approved too); the worker is killed once
   * in each stage of {@code plan}.
   */
  final class Lifecycle {
    final String id;
    final List<String> plan;
    String pipelineSignature;
    String driftSignature;
    String retrainSignature;
    PipelineStatus pipeline;
    DriftResult drift;
    PipelineStatus retrain;
    String failure;

    Lifecycle(String id, List<String> plan) {
      this.id = id;
      this.plan = plan;
    }

    /** The retraining run: named after the model (one per model at a time). */
    String retrainId() {
      return "triage-" + id + "-retrain";
    }

    List<String> workflowIds() {
      List<String> ids = new ArrayList<>();
      for (String p : List.of(id, retrainId())) {
        ids.add(p);
        ids.add(p + "-train-small");
        ids.add(p + "-train-medium");
      }
      ids.add(id + "-drift");
      return ids;
    }

    void run() throws Exception {
      PipelineSpec spec = spec(id);
      FineTunePipeline stub =
          client.newWorkflowStub(
              FineTunePipeline.class,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(id)
                  .setTaskQueue(TaskQueues.FINE_TUNE)
                  .build());
      WorkflowClient.start(stub::run, new PipelineInput(spec, "crash-campaign"));
      if (planned("import")) {
        sleep(20 + random.nextInt(120));
        kill(this, "import");
      }
      if (planned("baseline eval")) {
        awaitPending(List.of(id), Set.of("Evaluate"), stageIn(id, "PROFILING", "DATA_REVIEW"));
        sleep(random.nextInt(100));
        kill(this, "baseline eval");
      }
      if (planned("profiling")) {
        awaitPending(List.of(id), Set.of("Profile"), stageIn(id, "DATA_REVIEW"));
        sleep(random.nextInt(30));
        kill(this, "profiling");
      }
      approve(id, Checkpoint.DATA_REVIEW);
      List<String> children = List.of(id + "-train-small", id + "-train-medium");
      if (planned("training poll")) {
        awaitPending(children, Set.of("AwaitJob"), stageIn(id, "PROMOTION_REVIEW"));
        sleep(random.nextInt(300));
        kill(this, "training poll");
      }
      if (!plan.isEmpty() && !devRestarted) {
        restartDev();
      }
      if (planned("candidate eval")) {
        awaitPending(children, Set.of("Evaluate"), stageIn(id, "PROMOTION_REVIEW"));
        sleep(random.nextInt(300));
        kill(this, "candidate eval");
      }
      approve(id, Checkpoint.PROMOTION);
      if (planned("promotion")) {
        sleep(random.nextInt(150));
        kill(this, "promotion");
      }
      pipeline = result(id, PipelineStatus.class);
      pipelineSignature = signature(pipeline);

      DriftCheck check =
          client.newWorkflowStub(
              DriftCheck.class,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(id + "-drift")
                  .setTaskQueue(TaskQueues.FINE_TUNE)
                  .build());
      WorkflowClient.start(
          check::check,
          new DriftCheckInput(
              spec.name(),
              config.repo().resolve("examples/ticket-triage/production-2024.jsonl").toString(),
              true));
      if (planned("drift check")) {
        awaitPending(List.of(id + "-drift"), Set.of("Compare", "Evaluate"), done(id + "-drift"));
        sleep(random.nextInt(200));
        kill(this, "drift check");
      }
      drift = result(id + "-drift", DriftResult.class);
      driftSignature = signature(drift);
      if (drift.retrainWorkflowId() == null) {
        throw new IllegalStateException("the drift check started no retraining: " + drift);
      }
      if (!retrainId().equals(drift.retrainWorkflowId())) {
        throw new IllegalStateException("retraining run is " + drift.retrainWorkflowId());
      }
      approve(retrainId(), Checkpoint.DATA_REVIEW);
      if (!plan.isEmpty() && !gracefulRestartDone) {
        // Not a crash: a worker stopped the polite way (SIGTERM, as on a deploy) mid-training
        // must leave the provider's jobs running for the next worker to pick up.
        awaitPending(
            List.of(retrainId() + "-train-small", retrainId() + "-train-medium"),
            Set.of("AwaitJob"),
            stageIn(retrainId(), "PROMOTION_REVIEW"));
        restartWorkerGracefully();
      }
      if (planned("retraining")) {
        awaitPending(
            List.of(retrainId() + "-train-small", retrainId() + "-train-medium"),
            Set.of("AwaitJob", "Evaluate"),
            stageIn(retrainId(), "PROMOTION_REVIEW"));
        sleep(random.nextInt(300));
        kill(this, "retraining");
      }
      approve(retrainId(), Checkpoint.PROMOTION);
      retrain = result(retrainId(), PipelineStatus.class);
      retrainSignature = signature(retrain);
    }

    boolean planned(String stage) {
      return plan.contains(stage);
    }

    /** The parts of this life that did not end, with why. */
    Map<String, String> partsFailed() {
      Map<String, String> failed = new LinkedHashMap<>();
      if (pipeline == null) {
        failed.put(id, failure == null ? "no result" : failure);
      }
      if (drift == null) {
        failed.put(id + "-drift", failure == null ? "no result" : failure);
      }
      if (retrain == null) {
        failed.put(retrainId(), failure == null ? "no result" : failure);
      }
      return failed;
    }

    List<String> mismatches(Lifecycle ref) {
      List<String> m = new ArrayList<>();
      if (pipeline != null && !pipelineSignature.equals(ref.pipelineSignature)) {
        m.add("pipeline " + pipelineSignature + " vs reference " + ref.pipelineSignature);
      }
      if (drift != null && !driftSignature.equals(ref.driftSignature)) {
        m.add("drift check " + driftSignature + " vs reference " + ref.driftSignature);
      }
      if (retrain != null && !retrainSignature.equals(ref.retrainSignature)) {
        m.add("retraining " + retrainSignature + " vs reference " + ref.retrainSignature);
      }
      return m;
    }
  }

  /** The example spec, with two sizes and its own model name (one registry line per life). */
  private PipelineSpec spec(String id) throws IOException {
    String yaml =
        ExampleSpec.withAbsolutePaths(config.repo())
            .replace("name: ticket-triage", "name: triage-" + id)
            .replace("sizes: [small, medium, large]", "sizes: [small, medium]");
    Path file = config.dir().resolve("spec-" + id + ".yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    return SpecLoader.load(file);
  }

  // ------------------------------------------------------------------------------ comparisons

  /** Outcome and every score of a run, without ids, names, times and who decided. */
  static String signature(PipelineStatus s) {
    Map<String, Object> sig = new LinkedHashMap<>();
    sig.put("outcome", s.outcome());
    sig.put("gatePassed", s.gatePassed());
    sig.put("split", s.split() == null ? null : s.split().train().sha256());
    sig.put("baseline", metrics(s.baseline()));
    Map<String, Object> sets = new TreeMap<>();
    if (s.baselineEvalSets() != null) {
      s.baselineEvalSets().forEach((k, v) -> sets.put(k, metrics(v)));
    }
    sig.put("baselineSets", sets);
    Map<String, Object> candidates = new TreeMap<>();
    String best = null;
    for (CandidateResult c : s.candidates()) {
      Map<String, Object> cs = new TreeMap<>();
      cs.put("test", metrics(c.test()));
      c.evalSets().forEach((k, v) -> cs.put(k, metrics(v)));
      candidates.put(c.size().toString(), cs);
      if (c.modelId().equals(s.bestModel())) {
        best = c.size().toString();
      }
    }
    sig.put("candidates", candidates);
    sig.put("failedCandidates", s.failedCandidates());
    sig.put("best", best);
    sig.put("promotedVersion", s.promoted() == null ? null : s.promoted().version());
    sig.put("promotedSize", s.promoted() == null ? null : s.promoted().size());
    return sig.toString();
  }

  static String signature(DriftResult r) {
    Map<String, Object> sig = new LinkedHashMap<>();
    sig.put("version", r.modelVersion());
    sig.put("drifted", r.drifted());
    sig.put("exceeded", r.exceeded());
    sig.put("vocabulary", r.statistics().newVocabularyRate());
    sig.put("labels", new TreeMap<>(r.statistics().labelDistance()));
    sig.put("live", new TreeMap<>(r.liveMetrics()));
    sig.put("freshRows", r.freshRowsAdded());
    sig.put("currentOnHoldout", new TreeMap<>(r.currentModelOnFreshHoldout()));
    return sig.toString();
  }

  private static Object metrics(EvalResult r) {
    return r == null ? null : new TreeMap<>(r.metrics());
  }

  /** Exactly one provider job per candidate execution (metadata finetune_attempt). */
  private int checkJobs(List<Lifecycle> lives, Lifecycle ref, List<String> problems)
      throws IOException {
    Map<String, List<String>> byAttempt = new TreeMap<>();
    List<Path> jobFiles;
    try (Stream<Path> s = Files.walk(home.resolve("local-provider"))) {
      jobFiles =
          s.filter(f -> f.getFileName().toString().matches("ftjob-[0-9a-f]+\\.json")).toList();
    }
    for (Path f : jobFiles) {
      JsonNode job = JSON.readTree(f.toFile());
      String key = job.path("metadata").path("finetune_attempt").asText("(none)");
      byAttempt.computeIfAbsent(key, k -> new ArrayList<>()).add(job.path("id").asText());
    }
    int duplicates = 0;
    for (Map.Entry<String, List<String>> e : byAttempt.entrySet()) {
      if (e.getValue().size() > 1) {
        duplicates += e.getValue().size() - 1;
        problems.add("provider jobs " + e.getValue() + " for one candidate " + e.getKey());
      }
    }
    List<Lifecycle> all = new ArrayList<>(lives);
    all.add(ref);
    int expected = 0;
    for (Lifecycle l : all) {
      for (PipelineStatus s : new PipelineStatus[] {l.pipeline, l.retrain}) {
        if (s == null) {
          continue;
        }
        for (CandidateResult c : s.candidates()) {
          expected++;
          boolean found = byAttempt.values().stream().anyMatch(ids -> ids.contains(c.jobId()));
          if (!found) {
            problems.add("candidate " + c.size() + " of " + s.name() + " names unknown job");
          }
        }
      }
    }
    say(
        "provider jobs: "
            + jobFiles.size()
            + " for "
            + byAttempt.size()
            + " candidate executions ("
            + expected
            + " candidates reported)");
    return duplicates;
  }

  /** Exactly one registry version per promoting run: versions 1 (pipeline), 2 (retraining). */
  private int checkVersions(List<Lifecycle> lives, Lifecycle ref, List<String> problems)
      throws SQLException {
    Map<String, Integer> versions = new TreeMap<>();
    String url = "jdbc:h2:file:" + home.resolve("db/finetune") + ";AUTO_SERVER=TRUE";
    try (Connection c = DriverManager.getConnection(url, "finetune", "");
        ResultSet rs =
            c.createStatement()
                .executeQuery("SELECT name, COUNT(*) FROM model_versions GROUP BY name")) {
      while (rs.next()) {
        versions.put(rs.getString(1), rs.getInt(2));
      }
    }
    int duplicates = 0;
    List<Lifecycle> all = new ArrayList<>(lives);
    all.add(ref);
    for (Lifecycle l : all) {
      int promoting = 0;
      for (PipelineStatus s : new PipelineStatus[] {l.pipeline, l.retrain}) {
        if (s != null && s.outcome() == Outcome.PROMOTED) {
          promoting++;
        }
      }
      int have = versions.getOrDefault("triage-" + l.id, 0);
      if (have > promoting) {
        duplicates += have - promoting;
        problems.add("triage-" + l.id + " has " + have + " versions for " + promoting + " runs");
      } else if (have < promoting) {
        problems.add("triage-" + l.id + " lacks versions: " + have + " for " + promoting);
      }
    }
    say("registry versions: " + versions);
    return duplicates;
  }

  /** Artifacts named by hash match it; no temporary or work file is left behind. */
  private List<String> checkArtifacts() throws IOException {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    try (Stream<Path> s = Files.walk(home.resolve("artifacts"))) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        String name = f.getFileName().toString();
        String folder = f.getParent().getFileName().toString();
        if (folder.equals("tmp") || folder.equals("work")) {
          problems.add("leftover " + folder + " file " + f);
          continue;
        }
        int dot = name.indexOf('.');
        String stem = dot < 0 ? name : name.substring(0, dot);
        if (stem.matches("[0-9a-f]{64}")) {
          checked++;
          if (!stem.equals(sha256(f))) {
            problems.add("half-written artifact " + f + " (content does not match its name)");
          }
        }
      }
    }
    try (Stream<Path> s = Files.walk(home.resolve("local-provider"))) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        if (f.getFileName().toString().endsWith(".tmp")) {
          problems.add("leftover provider temporary file " + f);
        } else if (f.getFileName().toString().endsWith(".json")) {
          try {
            JSON.readTree(f.toFile());
          } catch (IOException e) {
            problems.add("unreadable provider state " + f + ": " + e.getMessage());
          }
        }
      }
    }
    say("artifacts checked against their sha256: " + checked);
    return problems;
  }

  private static String sha256(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        d.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------------- temporal helpers

  /** What one workflow looks like from the server, without asking a worker. */
  record Snapshot(
      String id,
      WorkflowExecutionStatus status,
      String stage,
      List<String> pending,
      long lastHeartbeatMillis) {}

  private Snapshot describe(String id) {
    try {
      DescribeWorkflowExecutionResponse r =
          service
              .blockingStub()
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .describeWorkflowExecution(
                  DescribeWorkflowExecutionRequest.newBuilder()
                      .setNamespace("default")
                      .setExecution(WorkflowExecution.newBuilder().setWorkflowId(id))
                      .build());
      String stage = null;
      Payload p =
          r.getWorkflowExecutionInfo()
              .getSearchAttributes()
              .getIndexedFieldsMap()
              .get("FinetuneStage");
      if (p != null) {
        stage = DefaultDataConverter.STANDARD_INSTANCE.fromPayload(p, String.class, String.class);
      }
      List<String> pending = new ArrayList<>();
      long heartbeat = 0;
      for (PendingActivityInfo a : r.getPendingActivitiesList()) {
        pending.add(a.getActivityType().getName() + "#" + a.getAttempt());
        if (a.hasLastHeartbeatTime()) {
          heartbeat = Math.max(heartbeat, a.getLastHeartbeatTime().getSeconds() * 1000);
        }
      }
      return new Snapshot(id, r.getWorkflowExecutionInfo().getStatus(), stage, pending, heartbeat);
    } catch (RuntimeException notThereOrServerDown) {
      return null;
    }
  }

  private Predicate<Void> stageIn(String id, String... stages) {
    Set<String> s = Set.of(stages);
    return ignored -> {
      Snapshot snap = describe(id);
      return snap != null
          && (s.contains(snap.stage())
              || snap.status() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    };
  }

  private Predicate<Void> done(String id) {
    return ignored -> {
      Snapshot snap = describe(id);
      return snap != null
          && snap.status() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    };
  }

  /**
   * Waits until one of {@code ids} has an activity of one of {@code types} pending, or until {@code
   * passed} says the moment went by (then the kill lands a little later).
   */
  private void awaitPending(List<String> ids, Set<String> types, Predicate<Void> passed) {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    for (int turn = 0; System.nanoTime() < deadline; turn++) {
      for (String id : ids) {
        Snapshot s = describe(id);
        if (s != null
            && s.pending().stream().anyMatch(p -> types.contains(p.substring(0, p.indexOf('#'))))) {
          return;
        }
      }
      if (turn % 10 == 9 && passed.test(null)) {
        return;
      }
      sleep(20);
    }
    throw new IllegalStateException("no " + types + " in " + ids + " within 3 minutes");
  }

  /** Approves {@code checkpoint} as soon as it opens (retrying while the worker is away). */
  private void approve(String id, Checkpoint checkpoint) {
    FineTunePipeline stub = client.newWorkflowStub(FineTunePipeline.class, id);
    long deadline = System.nanoTime() + config.deadline().toNanos();
    String last = "nothing yet";
    while (System.nanoTime() < deadline) {
      try {
        PipelineStatus s = stub.status();
        if (s.outcome() != null) {
          throw new IllegalStateException(
              id + " ended " + s.outcome() + " before " + checkpoint + ": " + s.outcomeReason());
        }
        if (s.decisions().stream().anyMatch(d -> d.checkpoint() == checkpoint)) {
          return; // an earlier try went through after all
        }
        if (s.pendingCheckpoint() == checkpoint) {
          stub.decide(Decision.approve(checkpoint, APPROVER, "crash campaign"));
          return;
        }
        last = "stage " + s.stage();
      } catch (IllegalStateException e) {
        throw e;
      } catch (RuntimeException e) {
        last = e.toString();
      }
      sleep(250);
    }
    throw new IllegalStateException(id + ": " + checkpoint + " never opened; last " + last);
  }

  /** The run's result once it has closed (the server is asked, not a worker). */
  private <T> T result(String id, Class<T> type) {
    long deadline = System.nanoTime() + config.deadline().toNanos();
    while (System.nanoTime() < deadline) {
      Snapshot s = describe(id);
      if (s != null && s.status() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        return client.newUntypedWorkflowStub(id).getResult(type);
      }
      sleep(200);
    }
    throw new IllegalStateException(id + " did not end within " + config.deadline());
  }

  private static final Set<EventType> PROGRESS =
      Set.of(
          EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
          EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
          EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
          EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);

  /** How far a life has got: completed activities, children and runs over all its workflows. */
  private int progress(Lifecycle l) {
    int n = 0;
    for (String id : l.workflowIds()) {
      try {
        for (HistoryEvent e : client.fetchHistory(id).getEvents()) {
          if (PROGRESS.contains(e.getEventType())) {
            n++;
          }
        }
      } catch (RuntimeException notStartedOrServerDown) {
        // counts as no progress there
      }
    }
    return n;
  }

  private final java.util.concurrent.ConcurrentMap<Integer, Object[]> watching =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Notes, for each kill not yet resolved, when its life moved on after the restart. */
  private void watchRecoveries() {
    noteWorkerReady();
    for (Map.Entry<Integer, Object[]> w : watching.entrySet()) {
      Lifecycle l = (Lifecycle) w.getValue()[0];
      int before = (Integer) w.getValue()[1];
      Kill k = (Kill) w.getValue()[2];
      long restartWallMillis = (Long) w.getValue()[3];
      boolean moved = progress(l) > before;
      if (!moved) {
        for (String id : l.workflowIds()) {
          Snapshot s = describe(id);
          if (s != null && s.lastHeartbeatMillis() > restartWallMillis) {
            moved = true;
            break;
          }
        }
      }
      if (moved) {
        recoveries.put(k.n(), (System.nanoTime() - k.restartNanos()) / 1e9);
        watching.remove(w.getKey());
      }
    }
  }

  // ----------------------------------------------------------------------------- processes

  /** kill -9 of the worker, at once started again; the life's next progress is then timed. */
  private synchronized void kill(Lifecycle l, String planned) {
    awaitWorkerReady();
    worker.destroyForcibly();
    try {
      worker.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    // Nothing moves while no worker runs: what is pending now was pending at the kill.
    List<String> pending = new ArrayList<>();
    for (String id : l.workflowIds()) {
      Snapshot s = describe(id);
      if (s != null
          && s.status() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
          && !s.pending().isEmpty()) {
        String label = id.startsWith(l.id) ? id.substring(l.id.length()) : id;
        pending.add(label.replaceFirst("^-", "") + ":" + s.pending());
      }
    }
    int before = progress(l);
    long restartWall = System.currentTimeMillis() / 1000 * 1000 + 1000;
    long restart = System.nanoTime();
    startWorker();
    Kill k =
        new Kill(
            kills.size() + 1,
            l.id,
            planned,
            pending.isEmpty() ? "(none: workflow task or waiting)" : String.join(" ", pending),
            restart);
    kills.add(k);
    stagesHit.add(planned);
    watching.put(k.n(), new Object[] {l, before, k, restartWall});
    say("kill -9 #" + k.n() + " (" + planned + "), pending " + k.pendingAtKill());
  }

  private ProcessBuilder java(List<String> jvmArgs, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(FinetuneCli.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("FINETUNE_REPO", config.repo().toString());
    pb.environment().put("FINETUNE_HOME", home.toString());
    pb.environment().put("TEMPORAL_ADDRESS", "127.0.0.1:" + port);
    pb.environment().remove("FINETUNE_DEBUG");
    return pb;
  }

  private void startDev() throws IOException {
    devStarts++;
    Path log = config.dir().resolve("dev-" + devStarts + ".log");
    dev =
        java(
                List.of("-Xmx256m"),
                "dev",
                "--no-worker",
                "--port",
                String.valueOf(port),
                "--home",
                home.toString())
            .redirectOutput(log.toFile())
            .start();
    processes.add(dev);
    awaitLine(dev, log, "finetune dev is ready", Duration.ofSeconds(90));
  }

  /** Stops the dev server the gentle way and starts it again on the same port and home. */
  private void restartDev() throws IOException {
    say("stopping the dev server (SIGTERM), then starting it again on the same port and home");
    List<ProcessHandle> children = dev.descendants().toList();
    dev.destroy();
    try {
      if (!dev.waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("dev did not stop within 60 s");
      }
      for (ProcessHandle c : children) {
        c.onExit().get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("stopping dev: " + e, e);
    }
    long t = System.nanoTime();
    startDev();
    devRestarted = true;
    say("dev server back after " + (System.nanoTime() - t) / 1_000_000 + " ms");
  }

  @SuppressWarnings("NonAtomicVolatileUpdate") // only the campaign's thread starts workers
  private void startWorker() {
    workerStarts++;
    Path log = config.dir().resolve("worker-" + workerStarts + ".log");
    try {
      worker =
          java(
                  List.of(
                      "-Xmx512m",
                      "-Dfinetune.activities.heartbeat-timeout=2s",
                      "-Dfinetune.activities.start-to-close-timeout=10s"),
                  "worker")
              .redirectOutput(log.toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    processes.add(worker);
    workerSpawnedNanos = System.nanoTime();
    workerReadyNoted = false;
  }

  private void awaitWorkerReady() {
    Path log = config.dir().resolve("worker-" + workerStarts + ".log");
    awaitLine(worker, log, "Worker polling task queue", Duration.ofMinutes(2));
    noteWorkerReady();
  }

  /** Times the current worker's start-up (process start to polling), once; called often. */
  private void noteWorkerReady() {
    int n = workerStarts;
    long spawned = workerSpawnedNanos;
    if (!workerReadyNoted
        && read(config.dir().resolve("worker-" + n + ".log"))
            .contains("Worker polling task queue")) {
      synchronized (workerStartSeconds) {
        if (!workerReadyNoted && n == workerStarts) {
          workerReadyNoted = true;
          workerStartSeconds.add((System.nanoTime() - spawned) / 1e9);
        }
      }
    }
  }

  private void restartWorkerGracefully() {
    awaitWorkerReady();
    say("stopping the worker gracefully (SIGTERM) during training, then starting it again");
    stopWorkerGracefully();
    startWorker();
    gracefulRestartDone = true;
  }

  private void stopWorkerGracefully() {
    worker.destroy();
    try {
      if (!worker.waitFor(30, TimeUnit.SECONDS)) {
        worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitLine(Process p, Path log, String line, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = read(log);
      if (text.contains(line)) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "process exited ("
                + p.exitValue()
                + ") before '"
                + line
                + "'; "
                + log
                + ":\n"
                + tail(text));
      }
      sleep(100);
    }
    throw new IllegalStateException("no '" + line + "' within " + timeout + " in " + log);
  }

  private static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static String tail(String text) {
    String[] lines = text.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 30), lines.length));
  }

  private void stopEverything() {
    monitor.shutdownNow();
    if (service != null) {
      service.shutdownNow();
    }
    for (Process p : processes) {
      List<ProcessHandle> children = p.isAlive() ? p.descendants().toList() : List.of();
      p.destroy();
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
      children.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private final long born = System.nanoTime();

  private void say(String line) {
    out.printf(
        java.util.Locale.ROOT,
        "[crash-campaign %6.1fs] %s%n",
        (System.nanoTime() - born) / 1e9,
        line);
    out.flush();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
