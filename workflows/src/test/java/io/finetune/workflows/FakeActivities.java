package io.finetune.workflows;

import io.finetune.workflows.approval.ApproverActivities;
import io.finetune.workflows.approval.TokenCheck;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.dataset.DatasetActivities;
import io.finetune.workflows.drift.DriftActivities;
import io.finetune.workflows.drift.DriftCheckImpl;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalRunImpl;
import io.finetune.workflows.eval.JudgeActivities;
import io.finetune.workflows.notify.NotificationActivities;
import io.finetune.workflows.pipeline.FineTunePipelineImpl;
import io.finetune.workflows.registry.RegistryActivities;
import io.finetune.workflows.rollout.RolloutActivities;
import io.finetune.workflows.rollout.RolloutImpl;
import io.finetune.workflows.spec.EvalSetRole;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.spec.TargetReason;
import io.finetune.workflows.training.TrainCandidateImpl;
import io.finetune.workflows.training.TrainingActivities;
import io.temporal.activity.Activity;
import io.temporal.client.ActivityCompletionException;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Activities with scripted results, for testing workflow logic alone. Scores are keyed by model id;
 * every call is recorded so tests can assert what the workflow did (and did not) do.
 */
public class FakeActivities
    implements DatasetActivities,
        EvalActivities,
        TrainingActivities,
        RegistryActivities,
        DriftActivities,
        JudgeActivities,
        RolloutActivities,
        NotificationActivities,
        ApproverActivities {

  public final Map<String, Double> exactMatchByModel = new LinkedHashMap<>();

  /** Per-field accuracy by model where it differs from exact match (default: the same). */
  public final Map<String, Double> fieldScoreByModel = new LinkedHashMap<>();

  /** p95 latency in ms by model (default 10); p50 is half of it. */
  public final Map<String, Double> p95ByModel = new LinkedHashMap<>();

  /** Cost per 1,000 requests by model (default: unknown). */
  public final Map<String, Double> costByModel = new LinkedHashMap<>();

  /** Half the width of the 95% interval of a paired difference (see {@link #evaluate}). */
  public volatile double intervalHalfWidth = 0.02;

  /** Checkpoints a job's provider keeps, newest first (default: none). */
  public final Map<String, List<Checkpoint>> checkpointsByJob = new LinkedHashMap<>();

  /**
   * What a tracked eval (one with a spec name and a label) finds of the previous run, by label
   * (default: no previous run).
   */
  public final Map<String, EvalActivities.RunComparison> previousRunByLabel = new LinkedHashMap<>();

  /** Models the provider does not know: their evals fail as a provider's 404 does. */
  public final java.util.Set<String> unknownModels =
      java.util.Collections.synchronizedSet(new java.util.HashSet<>());

  public final List<SplitRequest> splitRequests = new java.util.concurrent.CopyOnWriteArrayList<>();

  public final List<StartJobRequest> startJobs = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Jobs that keep running until their activity is cancelled. */
  public final java.util.Set<String> endlessJobs =
      java.util.Collections.synchronizedSet(new java.util.HashSet<>());

  /**
   * The judge's wins, ties and losses of a candidate over the baseline, by model (default 6/2/2).
   */
  public final Map<String, int[]> judgeByModel = new LinkedHashMap<>();

  /** The judge's agreement with people: kappa and how many pairs (agreement is kappa + 0.1). */
  public volatile double alignmentKappa = 0.8;

  public volatile int alignmentPairs = 40;

  public final List<JudgeRequest> judgeRequests = new java.util.concurrent.CopyOnWriteArrayList<>();

  public final List<AlignmentRequest> alignmentRequests =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public int productionLabeledRows = 100;

  /** Whether a batch folder has nothing new for the next drift check. */
  public boolean nothingNewInBatchFolder;

  /** The worker's tokens as its database keeps them, by id (only their SHA-256). */
  public final Map<String, TokenCheck.StoredToken> tokens =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Every verification asked for. */
  public final List<VerifyRequest> verifications =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Stores a token of {@code kind} for {@code approver} (null for a gateway token) and returns the
   * token itself, as {@code ./finetune tokens create} prints it.
   */
  public String addToken(String id, String kind, String approver) {
    String token = "ftap-test-" + id + "-" + java.util.UUID.randomUUID();
    tokens.put(
        id,
        new TokenCheck.StoredToken(
            id,
            kind,
            approver,
            io.finetune.workflows.pipeline.DecisionProof.sha256Hex(token),
            null));
    return token;
  }

  /** Marks a token revoked, as {@code ./finetune tokens revoke} does. */
  public void revokeToken(String id) {
    TokenCheck.StoredToken t = tokens.get(id);
    tokens.put(
        id,
        new TokenCheck.StoredToken(
            t.id(), t.kind(), t.approver(), t.sha256Hex(), System.currentTimeMillis()));
  }

  @Override
  public Verification verifyDecision(VerifyRequest request) {
    calls.add("verifyDecision " + request.decision().checkpoint() + " " + request.decision().by());
    verifications.add(request);
    return TokenCheck.verify(tokens.get(request.decision().tokenId()), request);
  }

  public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  public final List<PromoteRequest> promotions = Collections.synchronizedList(new ArrayList<>());
  public final List<ImportRequest> imports = Collections.synchronizedList(new ArrayList<>());
  public final List<EvalRequest> evals = Collections.synchronizedList(new ArrayList<>());
  public final java.util.Set<String> failingJobs =
      java.util.Collections.synchronizedSet(new java.util.HashSet<>());
  public double newVocabularyRate = 0.01;
  public double labelDistance = 0.02;

  /** Per-field statistics the fake compare returns (none: as before field types). */
  public List<DriftActivities.FieldDrift> fieldDrifts = List.of();

  /** The last compare request, to check what the workflow asked for. */
  public CompareRequest lastCompare;

  public ModelVersion current;

  /** How many rows the split's test set has (large ones are evaluated in shards). */
  public int testRows = 100;

  /**
   * A time-skipping test environment whose worker runs every workflow of the pipeline on the
   * fine-tune task queue, with these activities. Started; close it after the test.
   */
  public TestWorkflowEnvironment startEnvironment() {
    return startEnvironment(TestEnvironmentOptions.getDefaultInstance());
  }

  /** The same, with {@code options} (e.g. a client's data converter). */
  public TestWorkflowEnvironment startEnvironment(TestEnvironmentOptions options) {
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance(options);
    FinetuneSearchAttributes.definitions().forEach(env::registerSearchAttribute);
    // Heartbeats (and so cancellations) reach the activities within a fraction of a second.
    Worker worker =
        env.newWorker(
            TaskQueues.FINE_TUNE,
            WorkerOptions.newBuilder()
                .setMaxHeartbeatThrottleInterval(Duration.ofMillis(100))
                .build());
    worker.registerWorkflowImplementationTypes(
        FineTunePipelineImpl.class,
        TrainCandidateImpl.class,
        DriftCheckImpl.class,
        EvalRunImpl.class,
        RolloutImpl.class);
    worker.registerActivitiesImplementations(this);
    env.start();
    return env;
  }

  public static PipelineSpec spec(List<Size> sizes, List<String> approvers) {
    return spec(sizes, approvers, TargetReason.QUALITY);
  }

  public static PipelineSpec spec(List<Size> sizes, List<String> approvers, TargetReason reason) {
    return new PipelineSpec(
        "triage",
        new PipelineSpec.Dataset("/data/train.jsonl", "text", "label"),
        List.of("category"),
        List.of(new PipelineSpec.EvalSet("corner-cases", "/data/corner.jsonl", EvalSetRole.SPEC)),
        "Classify.",
        new PipelineSpec.Target("exact_match", 0.9, reason),
        new PipelineSpec.Model(
            sizes,
            Map.of("small", "local-small", "medium", "local-medium", "large", "local-large"),
            "local-large",
            null),
        "local",
        new PipelineSpec.Split(0.1, 7L),
        new PipelineSpec.Approval(approvers),
        new PipelineSpec.Drift(0.05, 0.1, 0.8, 0.2));
  }

  private static DatasetRef ref(String name, int rows) {
    return new DatasetRef(name, "/store/" + name + ".jsonl", "sha-" + name, rows, rows);
  }

  private static ArtifactRef artifact(String name) {
    return new ArtifactRef("/store/" + name, "sha-" + name, 10);
  }

  @Override
  public DatasetRef importDataset(ImportRequest request) {
    calls.add("import " + request.name());
    imports.add(request);
    if (request.name().equals("production")) {
      return new DatasetRef(
          "production", "/store/production.jsonl", "sha-production", 100, productionLabeledRows);
    }
    return ref(request.name(), 1000);
  }

  /** The training files asked for, in order. */
  public final List<TrainingFileRequest> trainingFiles =
      Collections.synchronizedList(new ArrayList<>());

  /** The corrections applied, in order. */
  public final List<CorrectionRequest> corrections =
      Collections.synchronizedList(new ArrayList<>());

  /** A message that refuses the next corrections, as a file with a bad line is refused. */
  public String refuseCorrections;

  /** Whether corrections change a test row: the split of corrected data has another test set. */
  public boolean correctionsChangeTestRows;

  @Override
  public CorrectionResult applyCorrections(CorrectionRequest request) {
    calls.add("applyCorrections v" + request.version());
    corrections.add(request);
    if (refuseCorrections != null) {
      String why = refuseCorrections;
      refuseCorrections = null;
      throw Failures.invalidInput(why);
    }
    int excluded = 2;
    DatasetRef data =
        new DatasetRef(
            request.data().name(),
            "/store/corrected-v" + request.version() + ".jsonl",
            "sha-corrected-v" + request.version(),
            request.data().rows() - excluded,
            request.data().rows() - excluded);
    return new CorrectionResult(
        data,
        artifact("lineage-v" + request.version()),
        artifact("corrections"),
        request.version(),
        3,
        excluded);
  }

  @Override
  public SplitResult split(SplitRequest request) {
    calls.add("split");
    splitRequests.add(request);
    boolean corrected = request.data().path().contains("corrected");
    return new SplitResult(
        corrected ? ref("train-" + request.data().sha256(), 898) : ref("train", 900),
        corrected && correctionsChangeTestRows
            ? ref("test-" + request.data().sha256(), testRows)
            : ref("test", testRows),
        3,
        0,
        Map.of("corner-cases", 0),
        request.validationFraction() > 0 ? ref("validation", 90) : null);
  }

  @Override
  public DataReport profile(ProfileRequest request) {
    calls.add("profile");
    return new DataReport(
        artifact("report.json"),
        artifact("report.md"),
        request.data().rows(),
        3,
        0,
        0,
        0,
        40,
        List.of(),
        List.of(),
        null,
        ref("flagged-" + request.data().sha256(), 12));
  }

  @Override
  public EvalResult evaluate(EvalRequest request) {
    calls.add("evaluate " + request.model() + " " + request.data().name());
    evals.add(request);
    return result(request);
  }

  /** Every shard asked for, in the order they started. */
  public final List<EvalActivities.ShardRequest> shards =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Every scoring of shards. */
  public final List<EvalActivities.ScoreRequest> scorings =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  /** When set, shards heartbeat until it opens (or they are cancelled). */
  public volatile java.util.concurrent.CountDownLatch shardGate;

  /** The first row of a shard that fails for good (-1: none). */
  public volatile int failingShard = -1;

  /** Shards that learned of their cancellation. */
  public final java.util.concurrent.atomic.AtomicInteger cancelledShards =
      new java.util.concurrent.atomic.AtomicInteger();

  @Override
  public EvalActivities.ShardAnswers answerShard(EvalActivities.ShardRequest r) {
    EvalRequest request = r.eval();
    calls.add(
        "answerShard "
            + request.model()
            + " "
            + request.data().name()
            + " "
            + r.from()
            + "-"
            + r.to());
    shards.add(r);
    refuseUnknown(request);
    if (r.from() == failingShard) {
      throw io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
          "Provider '" + request.provider() + "' refused row " + r.from(),
          Failures.PROVIDER_REJECTED);
    }
    java.util.concurrent.CountDownLatch gate = shardGate;
    while (gate != null) {
      try {
        if (gate.await(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          break;
        }
        io.temporal.activity.Activity.getExecutionContext().heartbeat(r.from());
      } catch (io.temporal.client.ActivityCompletionException e) {
        // Cancelled, or its run has ended: either way, nobody waits for its answers.
        cancelledShards.incrementAndGet();
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return new EvalActivities.ShardAnswers(
        r.from(), r.to(), artifact("answers-" + request.model() + "-" + r.from()));
  }

  @Override
  public EvalResult scoreShards(EvalActivities.ScoreRequest r) {
    calls.add("scoreShards " + r.eval().model() + " " + r.eval().data().name());
    scorings.add(r);
    evals.add(r.eval());
    EvalResult one = result(r.eval());
    return new EvalResult(
        one.model(),
        one.dataset(),
        r.eval().data().rows(),
        r.eval().data().labeledRows(),
        one.metrics(),
        one.predictions(),
        one.usage(),
        one.intervals(),
        one.labelReport(),
        one.previousRun());
  }

  private void refuseUnknown(EvalRequest request) {
    if (unknownModels.contains(request.model())) {
      throw io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
          "Provider '"
              + request.provider()
              + "' answered 404 to POST /chat/completions: The model '"
              + request.model()
              + "' does not exist",
          Failures.PROVIDER_REJECTED);
    }
  }

  private EvalResult result(EvalRequest request) {
    refuseUnknown(request);
    double score = exactMatchByModel.getOrDefault(request.model(), 0.5);
    return new EvalResult(
        request.model(),
        request.data().name(),
        100,
        100,
        "text".equals(request.task())
            ? Map.of("text_exact_match", score, "chrf", score)
            : Map.of(
                "exact_match",
                score,
                "field:category",
                fieldScoreByModel.getOrDefault(request.model(), score)),
        artifact("predictions-" + request.model()),
        new EvalActivities.Usage(
            100,
            p95ByModel.getOrDefault(request.model(), 10.0) / 2,
            p95ByModel.getOrDefault(request.model(), 10.0),
            5_000,
            800,
            costByModel.get(request.model())),
        intervals(request, score),
        null,
        request.specName() == null ? null : previousRunByLabel.get(request.label()));
  }

  /** An interval of the key metric, and the difference to the paired model's score around it. */
  private EvalActivities.Intervals intervals(EvalRequest request, double score) {
    if (request.keyMetric() == null) {
      return null;
    }
    EvalActivities.Comparison vs = null;
    if (request.pairedWith() != null) {
      double d = score - exactMatchByModel.getOrDefault(request.pairedModel(), 0.5);
      vs =
          new EvalActivities.Comparison(
              request.pairedModel(), d, d - intervalHalfWidth, d + intervalHalfWidth);
    }
    return new EvalActivities.Intervals(request.keyMetric(), 100, score - 0.05, score + 0.05, vs);
  }

  @Override
  public JudgeResult judge(JudgeRequest request) {
    calls.add("judge " + request.candidateModel());
    judgeRequests.add(request);
    if (JudgeActivities.sameFamily(
        request.judgeModel(), request.candidateBaseModel(), request.candidateModel())) {
      throw io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
          "judge " + request.judgeModel() + " is of the candidate's family",
          Failures.INVALID_INPUT);
    }
    int[] wtl = judgeByModel.getOrDefault(request.candidateModel(), new int[] {6, 2, 2});
    int pairs = wtl[0] + wtl[1] + wtl[2];
    return new JudgeResult(
        request.judgeModel(),
        request.candidateModel(),
        request.baselineModel(),
        pairs,
        wtl[0],
        wtl[1],
        wtl[2],
        1,
        0,
        artifact("verdicts-" + request.candidateModel()));
  }

  @Override
  public Alignment alignment(AlignmentRequest request) {
    calls.add("alignment " + request.path());
    alignmentRequests.add(request);
    return new Alignment(
        request.judgeModel(),
        alignmentPairs,
        alignmentKappa + 0.1,
        alignmentKappa,
        artifact("alignment-verdicts"));
  }

  @Override
  public ArtifactRef prepareTrainingFile(TrainingFileRequest request) {
    calls.add("prepareTrainingFile");
    trainingFiles.add(request);
    return artifact("train-sft.jsonl");
  }

  @Override
  public String uploadTrainingFile(UploadRequest request) {
    calls.add("upload");
    return "file-1";
  }

  @Override
  public String startJob(StartJobRequest request) {
    calls.add("startJob " + request.baseModel());
    startJobs.add(request);
    boolean swept = request.suffix() != null && request.suffix().contains("-");
    return "job-" + request.baseModel() + (swept ? "-" + request.suffix() : "");
  }

  @Override
  public List<Checkpoint> listCheckpoints(CheckpointsRequest request) {
    calls.add("listCheckpoints " + request.jobId());
    return checkpointsByJob.getOrDefault(request.jobId(), List.of());
  }

  @Override
  public TrainedModel awaitJob(AwaitJobRequest request) {
    calls.add("awaitJob " + request.jobId());
    if (endlessJobs.contains(request.jobId())) {
      try {
        while (true) {
          Activity.getExecutionContext().heartbeat("running");
          Thread.sleep(20);
        }
      } catch (ActivityCompletionException e) {
        calls.add("cancelJob " + request.jobId()); // what the real activity asks the provider
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    if (failingJobs.contains(request.jobId())) {
      throw io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
          "Fine-tuning job " + request.jobId() + " failed: quota exceeded", "TrainingFailed");
    }
    return new TrainedModel(request.jobId(), "ft:" + request.jobId().substring(4), 100);
  }

  @Override
  public ModelVersion promote(PromoteRequest request) {
    calls.add("promote " + request.modelId());
    promotions.add(request);
    return new ModelVersion(
        request.name(),
        (current == null ? 0 : current.version()) + promotions.size(),
        request.modelId(),
        request.provider(),
        request.size(),
        request.metrics(),
        request.spec(),
        request.dataset(),
        request.runId(),
        request.approvedBy(),
        0);
  }

  @Override
  public ModelVersion find(String name) {
    calls.add("find " + name);
    return current;
  }

  @Override
  public ModelVersion current(String name) {
    calls.add("current " + name);
    if (current == null) {
      throw Failures.invalidInput("No model called '" + name + "' has been promoted yet");
    }
    return current;
  }

  @Override
  public DriftStatistics compare(CompareRequest request) {
    calls.add("compare");
    lastCompare = request;
    return new DriftStatistics(
        newVocabularyRate,
        Map.of("category", labelDistance),
        labelDistance,
        100,
        100,
        artifact("drift.json"),
        fieldDrifts);
  }

  @Override
  public BatchSelection selectBatch(SelectBatchRequest request) {
    calls.add("selectBatch " + request.path());
    return nothingNewInBatchFolder
        ? new BatchSelection(null, List.of(), 1_700_000_000_000L)
        : new BatchSelection(request.path(), List.of(request.path()), 0);
  }

  @Override
  public RetrainData prepareRetraining(RetrainRequest request) {
    calls.add("prepareRetraining");
    return new RetrainData(ref("retrain", 1080), ref("fresh-holdout", 20), 80);
  }

  // ---- rollout --------------------------------------------------------------------------------

  /** The slow eval's verdicts, one per eval in order; the last one repeats. */
  public final List<Verdict> slowEvalVerdicts =
      Collections.synchronizedList(new ArrayList<>(List.of(Verdict.NO_WORSE)));

  /** When set, {@code complete} finds the canary already ended by {@code ./finetune rollback}. */
  public volatile boolean canaryEndedElsewhere;

  /** The requests of every slow eval and completion, to check what the workflow asked for. */
  public final List<SlowEvalRequest> slowEvals = Collections.synchronizedList(new ArrayList<>());

  public final List<CompleteRequest> completions = Collections.synchronizedList(new ArrayList<>());

  private int slowEvalCount;

  @Override
  public Deployment startCanary(CanaryRequest r) {
    calls.add("canary v" + r.candidate() + " " + r.share());
    return new Deployment(
        r.name(), r.stable(), r.candidate(), r.share(), System.currentTimeMillis());
  }

  @Override
  public OnlineJudgment judgeCanary(OnlineJudgeRequest r) {
    calls.add("judgeCanary " + r.judgeModel());
    return new OnlineJudgment(r.judgeModel(), 20, 4, 6, 10);
  }

  @Override
  public synchronized SlowEval slowEval(SlowEvalRequest r) {
    calls.add("slowEval");
    slowEvals.add(r);
    Verdict v = slowEvalVerdicts.get(Math.min(slowEvalCount++, slowEvalVerdicts.size() - 1));
    Outcomes canary = new Outcomes(r.candidate(), 100, 0, 50, 30, 5, 5, 0, 40, 90);
    Outcomes stable = new Outcomes(r.stable(), 900, 0, 500, 90, 20, 10, 0, 120, 620);
    return new SlowEval(canary, stable, r.judgment(), 0.001, 0.999, 1, v, "fake " + v);
  }

  @Override
  public Completion complete(CompleteRequest r) {
    calls.add((r.rollOut() ? "roll out v" : "roll back v") + r.candidate());
    completions.add(r);
    if (canaryEndedElsewhere) {
      return new Completion(false, r.stable(), "ended by bob (rollback)");
    }
    return new Completion(true, r.rollOut() ? r.candidate() : r.stable(), r.reason());
  }

  // ---- notifications --------------------------------------------------------------------------

  /** Every reminder asked for, in order. */
  public final List<Reminder> reminders = Collections.synchronizedList(new ArrayList<>());

  /** Whether the fake has a webhook: false answers "not sent". */
  public volatile boolean webhook = true;

  @Override
  public boolean remind(Reminder reminder) {
    calls.add("remind " + reminder.checkpoint());
    reminders.add(reminder);
    return webhook;
  }
}
