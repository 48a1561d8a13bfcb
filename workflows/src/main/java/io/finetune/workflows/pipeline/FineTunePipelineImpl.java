package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.dataset.DatasetActivities;
import io.finetune.workflows.dataset.DatasetActivities.CorrectionRequest;
import io.finetune.workflows.dataset.DatasetActivities.CorrectionResult;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.dataset.SpecImports;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.Evals;
import io.finetune.workflows.eval.JudgeActivities;
import io.finetune.workflows.eval.JudgeActivities.Alignment;
import io.finetune.workflows.eval.JudgeActivities.AlignmentRequest;
import io.finetune.workflows.eval.JudgeActivities.JudgeRequest;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.finetune.workflows.notify.NotificationActivities;
import io.finetune.workflows.notify.NotificationActivities.Reminder;
import io.finetune.workflows.registry.RegistryActivities;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.rollout.Rollout;
import io.finetune.workflows.rollout.RolloutInput;
import io.finetune.workflows.rollout.RolloutOutcome;
import io.finetune.workflows.rollout.RolloutResult;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.PipelineSpec.Variant;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.spec.TargetReason;
import io.finetune.workflows.training.CandidateRequest;
import io.finetune.workflows.training.CandidateResult;
import io.finetune.workflows.training.TrainCandidate;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.slf4j.Logger;

/**
 * The pipeline as a sequence of stages, one method each, in the order of the README's stage table.
 * The rules live apart ({@link SizePolicy}, {@link PromotionGate}, {@link DecisionRules}) and so do
 * the words ({@link OutcomeReasons}); this class only orchestrates and keeps the run's state.
 */
public class FineTunePipelineImpl implements FineTunePipeline {
  private static final Logger log = Workflow.getLogger(FineTunePipelineImpl.class);

  private final DatasetActivities dataset = ActivityStubs.dataset();
  private final EvalActivities eval = ActivityStubs.eval();

  /** Evals of large sets in shards (see {@link Evals}). */
  private final Evals evals = new Evals(eval);

  private final RegistryActivities registry = ActivityStubs.registry();
  private final JudgeActivities judges = ActivityStubs.judge();
  private final NotificationActivities notifications = ActivityStubs.notifications();

  private final PipelineSpec spec;
  private final String trigger;
  private final DecisionLog decisions;
  private final DataCorrections corrections = new DataCorrections();
  private final List<String> notes = new ArrayList<>();

  private RunVisibility visibility;
  private DatasetRef trainData;
  private List<DatasetRef> evalSets = List.of();
  private Stage stage = Stage.IMPORTING;
  private Checkpoint open;
  private SplitResult split;
  private Baseline baseline;
  private DataReport dataReport;
  private Training training = Training.NOT_STARTED;
  private Ending ending;
  private boolean sweepsAndCheckpoints;
  private JudgeStanding judgeStanding;
  private EvalResult production;
  private RolloutResult rollout;
  private ModelVersion rollingOut;

  /** The prompt baseline's scores on the test set and on each eval set. */
  private record Baseline(EvalResult test, Map<String, EvalResult> evalSets) {}

  /** The candidates trained so far, those that failed, and the gate's verdict once all are in. */
  private record Training(
      List<Size> sizes,
      List<CandidateResult> candidates,
      Map<String, String> failed,
      PromotionGate gate) {
    static final Training NOT_STARTED = new Training(List.of(), List.of(), Map.of(), null);
  }

  /** How the run ended. */
  private record Ending(Outcome outcome, String reason, ModelVersion promoted) {}

  /** The imported training data and eval sets. */
  private record Datasets(DatasetRef train, List<DatasetRef> evalSets) {}

  @WorkflowInit
  public FineTunePipelineImpl(PipelineInput input) {
    this.spec = input.spec();
    this.trigger = input.trigger();
    this.decisions = new DecisionLog(spec.approval().requireToken());
  }

  @Override
  public PipelineStatus run(PipelineInput input) {
    // Version 1 keeps search attributes current; older histories set none.
    visibility =
        new RunVisibility(
            Workflow.getVersion("search-attributes", Workflow.DEFAULT_VERSION, 1)
                != Workflow.DEFAULT_VERSION);
    enter(Stage.IMPORTING);
    Datasets data = importDatasets();
    trainData = data.train();
    evalSets = data.evalSets();
    enter(Stage.SPLITTING);
    split = splitOffTestSet(data);
    enter(Stage.BASELINE);
    baseline = runPromptBaseline(data.evalSets());
    if (promptMeetsTarget()) {
      return finish(Outcome.PROMPT_SUFFICIENT, OutcomeReasons.promptSufficient(spec, score()));
    }

    enter(Stage.PROFILING);
    dataReport = profile(data.train());
    DecisionRecord review = awaitDecision(Checkpoint.DATA_REVIEW);
    if (review == null) {
      return finish(
          Outcome.REVIEW_TIMED_OUT,
          OutcomeReasons.timedOut(spec, Checkpoint.DATA_REVIEW, "nothing was trained"));
    }
    if (!review.approved()) {
      return finish(Outcome.REJECTED_AT_DATA_REVIEW, OutcomeReasons.rejectedData(review));
    }

    enter(Stage.TRAINING);
    training = trainCandidates(data.evalSets());
    DecisionRecord approval = awaitDecision(Checkpoint.PROMOTION);
    if (approval == null) {
      return finish(
          Outcome.REVIEW_TIMED_OUT,
          OutcomeReasons.timedOut(spec, Checkpoint.PROMOTION, "nothing was promoted"));
    }
    if (!approval.approved()) {
      return finish(
          Outcome.REJECTED_AT_PROMOTION,
          OutcomeReasons.rejectedPromotion(training.gate().best(), approval));
    }

    enter(Stage.PROMOTING);
    // Version 1 of "rollout": with a rollout in the spec, a version that replaces another serves a
    // canary first. The spec's rollout is checked first so that runs without one record no marker.
    ModelVersion serving =
        spec.rollout() != null
                && Workflow.getVersion("rollout", Workflow.DEFAULT_VERSION, 1)
                    != Workflow.DEFAULT_VERSION
            ? registry.find(spec.name())
            : null;
    ModelVersion promoted = promote(training.gate().best(), approval, trainData, serving == null);
    String promotedReason =
        OutcomeReasons.promoted(spec, training.gate(), promoted, score(), approval);
    if (serving == null) {
      return finish(Outcome.PROMOTED, promotedReason, promoted);
    }
    rollingOut = promoted;
    enter(Stage.ROLLING_OUT);
    rollout = rollOut(promoted, serving, approval);
    return rollout.outcome() == RolloutOutcome.ROLLED_OUT
        ? finish(Outcome.PROMOTED, OutcomeReasons.rolledOut(promotedReason, rollout), promoted)
        : finish(Outcome.ROLLED_BACK, OutcomeReasons.rolledBack(promoted, rollout), promoted);
  }

  // ---- stages ------------------------------------------------------------------------------

  /** Rules 3 and 4: every row of every file is validated; a row that cannot be read fails. */
  private Datasets importDatasets() {
    DatasetRef train = dataset.importDataset(SpecImports.dataset(spec));
    List<DatasetRef> evalSets = new ArrayList<>();
    for (ImportRequest set : SpecImports.evalSets(spec)) {
      evalSets.add(dataset.importDataset(set));
    }
    return new Datasets(train, evalSets);
  }

  /**
   * Rule 5: a seeded, stable hold-out, with leakage into it counted. Version 1 also sets a
   * validation set apart, for choosing among the provider's checkpoints, and trains the spec's
   * sweep; before it, neither existed.
   */
  private SplitResult splitOffTestSet(Datasets data) {
    sweepsAndCheckpoints =
        Workflow.getVersion("sweeps-and-validation-split", Workflow.DEFAULT_VERSION, 1)
            != Workflow.DEFAULT_VERSION;
    return dataset.split(
        SpecImports.split(
            spec,
            data.train(),
            data.evalSets(),
            sweepsAndCheckpoints ? spec.split().validationFraction() : 0));
  }

  /** Rules 1 and 2: the prompt comes first and is the reference every candidate must beat. */
  private Baseline runPromptBaseline(List<DatasetRef> evalSets) {
    String promptModel = spec.model().promptModel();
    EvalResult test =
        evals.evaluate(
            evalRequest(promptModel, split.test())
                .comparedWith(spec.target().metric(), null, null));
    Map<String, EvalResult> sets = new LinkedHashMap<>();
    for (DatasetRef set : evalSets) {
      sets.put(set.name(), evals.evaluate(evalRequest(promptModel, set)));
    }
    return new Baseline(test, sets);
  }

  /**
   * Whether the prompt alone is good enough to end the run. Version 1: only when quality is the
   * reason to fine-tune; for latency or cost a smaller tuned model can still be worth it.
   */
  private boolean promptMeetsTarget() {
    int honoursReason =
        Workflow.getVersion("prompt-sufficient-honours-reason", Workflow.DEFAULT_VERSION, 1);
    boolean meets = score() >= spec.target().score();
    boolean forQuality =
        honoursReason == Workflow.DEFAULT_VERSION || spec.target().reason() == TargetReason.QUALITY;
    if (meets && !forQuality) {
      notes.add(OutcomeReasons.promptMeetsTargetButGoesOn(spec, score()));
    }
    return meets && forQuality;
  }

  /** Rule 3: the data report a person reviews, with the rows the baseline got wrong. */
  private DataReport profile(DatasetRef train) {
    return dataset.profile(
        new ProfileRequest(
            train,
            split,
            spec.outputFields(),
            baseline.test(),
            spec.target().metric(),
            spec.target().score(),
            spec.fieldTypes(),
            // Only the activity's input grows: no new command, so old histories replay as they are.
            spec.fieldValues(),
            spec.answerSchema()));
  }

  /**
   * Rules 6 and 7: one child per size (and per combination of the spec's sweep), trained in
   * parallel; a failed one does not stop the rest.
   */
  private Training trainCandidates(List<DatasetRef> evalSets) {
    List<Size> sizes = SizePolicy.choose(spec.model(), split.train().rows());
    if (spec.model().sizeIsAuto()) {
      log.info("model.sizes is auto: {} training rows -> {}", split.train().rows(), sizes);
    }
    List<Variant> variants =
        sweepsAndCheckpoints
            ? spec.model().variants()
            : List.of(new Variant(spec.model().epochs(), null));
    training = new Training(sizes, List.of(), Map.of(), null); // shown while they train
    Map<String, Promise<CandidateResult>> running = new LinkedHashMap<>();
    for (Size size : sizes) {
      for (Variant variant : variants) {
        String label = variant.label();
        String key = label.isEmpty() || variants.size() == 1 ? size.id() : size.id() + "-" + label;
        TrainCandidate child =
            Workflow.newChildWorkflowStub(
                TrainCandidate.class,
                ChildWorkflowOptions.newBuilder()
                    .setWorkflowId(Workflow.getInfo().getWorkflowId() + "-train-" + key)
                    .build());
        // A sweep of one combination still trains with it; only its name stays the size's.
        running.put(
            key,
            Async.function(
                child::train,
                candidateRequest(size, variant, variants.size() == 1 ? "" : label, evalSets)));
      }
    }
    List<CandidateResult> candidates = new ArrayList<>();
    Map<String, String> failed = new LinkedHashMap<>();
    for (Map.Entry<String, Promise<CandidateResult>> r : running.entrySet()) {
      try {
        candidates.add(r.getValue().get());
      } catch (ChildWorkflowFailure e) {
        if (e.getCause() instanceof CanceledFailure cancelled) {
          throw cancelled; // the run is being cancelled: not a candidate that failed
        }
        String why = Failures.innermostMessage(e);
        failed.put(r.getKey(), why);
        log.warn("Candidate {} failed: {}", r.getKey(), why);
      }
    }
    if (candidates.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "Every candidate failed to train: " + failed, Failures.ALL_CANDIDATES_FAILED);
    }
    ModelVersion inProduction = scoreProductionModel();
    candidates = judgePairwise(candidates, inProduction);
    PromotionGate gate = judge(candidates);
    return new Training(
        sizes, candidates, failed, judgeStanding == null ? gate : gate.withJudge(judgeStanding));
  }

  /**
   * Version 1, when the spec names a judge: its agreement with people is measured once, then it
   * compares each candidate's test-set answers with the prompt baseline's, candidates in parallel.
   * Which answer each pair shows first is derived from a seed drawn here: Workflow.newRandom is
   * seeded by the run, so a replay draws the same. A judge that fails leaves a note; the run goes
   * on (a gating judge without a verdict does not pass the candidate).
   */
  private List<CandidateResult> judgePairwise(
      List<CandidateResult> candidates, ModelVersion inProduction) {
    PipelineSpec.Judge j = spec.judge();
    if (j == null
        || Workflow.getVersion("pairwise-judge", Workflow.DEFAULT_VERSION, 1)
            == Workflow.DEFAULT_VERSION) {
      return candidates;
    }
    String provider = j.provider() != null ? j.provider() : spec.provider();
    Random random = Workflow.newRandom();
    Alignment alignment = null;
    if (j.alignment() != null) {
      try {
        alignment =
            judges.alignment(
                new AlignmentRequest(
                    provider, j.model(), j.rubric(), j.alignment(), random.nextLong()));
      } catch (ActivityFailure e) {
        Failures.rethrowIfCancelled(e);
        notes.add(
            "judge " + j.model() + ": alignment not measured: " + Failures.innermostMessage(e));
      }
    }
    judgeStanding = JudgeStanding.of(j, alignment);
    if (judgeStanding.refusal() != null) {
      notes.add(
          "judge "
              + j.model()
              + " is refused as a gate (informational only): "
              + judgeStanding.refusal());
    }
    List<CandidateResult> judged =
        judgeEach(
            candidates,
            provider,
            random,
            baseline.test().model(),
            baseline.test().predictions(),
            CandidateResult::withJudge,
            "");
    return judgeAgainstProduction(judged, inProduction, provider, random);
  }

  /**
   * Version 1: when a model of this name is in production (a retraining, or a run after an earlier
   * promotion), it is scored on the same test set, with the prompt it was trained with, so that the
   * candidates are compared with what serves today as well as with the prompt. Null when none is
   * (or its eval failed: a note says why; the run goes on).
   */
  private ModelVersion scoreProductionModel() {
    if (Workflow.getVersion("production-comparison", Workflow.DEFAULT_VERSION, 1)
        == Workflow.DEFAULT_VERSION) {
      return null;
    }
    ModelVersion current = registry.find(spec.name());
    if (current == null) {
      return null;
    }
    try {
      production =
          evals.evaluate(
              new EvalRequest(
                      current.provider(),
                      current.modelId(),
                      current.spec().prompt(),
                      split.test(),
                      spec.outputFields())
                  .forTask(spec.task())
                  .withFieldTypes(spec.fieldTypes()));
      return current;
    } catch (ActivityFailure e) {
      Failures.rethrowIfCancelled(e);
      notes.add(
          "model in production "
              + current.modelId()
              + " (version "
              + current.version()
              + ") not scored on the test set: "
              + Failures.innermostMessage(e));
      return null;
    }
  }

  /** Each candidate judged against the model in production too, pair by pair in both orders. */
  private List<CandidateResult> judgeAgainstProduction(
      List<CandidateResult> candidates, ModelVersion current, String provider, Random random) {
    if (current == null) {
      return candidates;
    }
    return judgeEach(
        candidates,
        provider,
        random,
        current.modelId(),
        production.predictions(),
        CandidateResult::withJudgeVsProduction,
        " against the model in production");
  }

  /**
   * Every candidate's test answers judged against {@code other}'s, candidates in parallel, each
   * with its own seed drawn in order; a verdict goes to the candidate by {@code attach}, a judge
   * that fails leaves a note (naming what it was {@code against}) and the candidate as it was.
   */
  private List<CandidateResult> judgeEach(
      List<CandidateResult> candidates,
      String provider,
      Random random,
      String other,
      ArtifactRef otherPredictions,
      BiFunction<CandidateResult, JudgeResult, CandidateResult> attach,
      String against) {
    PipelineSpec.Judge j = spec.judge();
    List<Promise<JudgeResult>> verdicts = new ArrayList<>();
    for (CandidateResult c : candidates) {
      verdicts.add(
          Async.function(
              judges::judge,
              new JudgeRequest(
                  provider,
                  j.model(),
                  j.rubric(),
                  split.test(),
                  c.modelId(),
                  c.baseModel(),
                  c.test().predictions(),
                  other,
                  otherPredictions,
                  random.nextLong(),
                  j.maxPairs())));
    }
    List<CandidateResult> judged = new ArrayList<>();
    for (int i = 0; i < candidates.size(); i++) {
      CandidateResult c = candidates.get(i);
      try {
        judged.add(attach.apply(c, verdicts.get(i).get()));
      } catch (ActivityFailure e) {
        Failures.rethrowIfCancelled(e);
        notes.add(
            "judge "
                + j.model()
                + " gave no verdict on "
                + c.label()
                + against
                + ": "
                + Failures.innermostMessage(e));
        judged.add(c);
      }
    }
    return judged;
  }

  /**
   * Version 1 judges latency and cost when they are the reason to fine-tune, and says why; before
   * it, quality alone was judged, whatever the reason.
   */
  private PromotionGate judge(List<CandidateResult> candidates) {
    int measured = Workflow.getVersion("latency-cost-gate", Workflow.DEFAULT_VERSION, 1);
    if (measured == Workflow.DEFAULT_VERSION) {
      return PromotionGate.judge(candidates, spec.target().metric(), score());
    }
    // Version 1 judges quality by the lower bound of the difference's interval; before it, by
    // the point estimate.
    boolean byInterval =
        Workflow.getVersion("interval-gate", Workflow.DEFAULT_VERSION, 1)
            != Workflow.DEFAULT_VERSION;
    return PromotionGate.judge(candidates, spec.target(), baseline.test(), byInterval);
  }

  /**
   * Rule 9: the promoted version serves {@code serving}'s traffic only after its canary has done no
   * worse in production ({@link Rollout}). Another rollout of the model in progress ends this one
   * at once: the new version stays in the registry without traffic.
   */
  private RolloutResult rollOut(
      ModelVersion promoted, ModelVersion serving, DecisionRecord approval) {
    PipelineSpec.Judge j = spec.judge();
    Rollout child =
        Workflow.newChildWorkflowStub(
            Rollout.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(Rollout.workflowId(spec.name()))
                // A canary is never left without its workflow when the pipeline is terminated.
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                .build());
    try {
      return child.run(
          new RolloutInput(
              spec.name(),
              promoted.version(),
              serving.version(),
              spec.rollout(),
              j,
              j == null || j.provider() == null ? spec.provider() : j.provider(),
              spec.approval().approvers(),
              approval.by(),
              spec.approval().requireToken(),
              approval.identity()));
    } catch (ChildWorkflowFailure e) {
      if (e.getCause() instanceof WorkflowExecutionAlreadyStarted running) {
        return new RolloutResult(
            spec.name(),
            promoted.version(),
            serving.version(),
            RolloutOutcome.ROLLED_BACK,
            serving.version(),
            "not rolled out: "
                + Rollout.workflowId(spec.name())
                + " (run "
                + running.getExecution().getRunId()
                + ") is rolling out another version; once it is over, `./finetune rollback "
                + spec.name()
                + " --to "
                + promoted.version()
                + "` serves this one",
            "pipeline",
            null);
      }
      throw e;
    }
  }

  /** The registry's new version; the key is this execution, so a rerun of the id is a new one. */
  private ModelVersion promote(
      CandidateResult best, DecisionRecord approval, DatasetRef train, boolean serve) {
    int runScoped = Workflow.getVersion("run-scoped-registry-key", Workflow.DEFAULT_VERSION, 1);
    String workflowId = Workflow.getInfo().getWorkflowId();
    String promotionKey =
        runScoped == Workflow.DEFAULT_VERSION
            ? workflowId
            : workflowId + "/" + Workflow.getInfo().getRunId();
    return registry.promote(
        new PromoteRequest(
            spec.name(),
            promotionKey,
            best.modelId(),
            spec.provider(),
            best.size().id(),
            best.test().metrics(),
            spec,
            train,
            approval.by(),
            serve,
            approval.identity()));
  }

  // ---- checkpoints -------------------------------------------------------------------------

  /**
   * Opens {@code checkpoint} and waits for a person; a decision sent early is used at once. Null
   * when {@code approval.timeout} passed first.
   */
  private DecisionRecord awaitDecision(Checkpoint checkpoint) {
    open = checkpoint;
    enter(checkpoint.stage());
    boolean decided = waitForDecision(checkpoint);
    open = null;
    if (!decided) {
      return null;
    }
    DecisionRecord d = decisions.get(checkpoint);
    boolean override = DecisionRules.overridesGate(d, training.gate() == null || gatePassed());
    if (override != d.override()) {
      d = d.asOverride(override);
      decisions.replace(d);
    }
    return d;
  }

  /**
   * Version 1 of "review-timers": while the checkpoint waits, a reminder every {@code
   * approval.remindAfter}, and false once {@code approval.timeout} has passed. Only specs with
   * timers reach it; none had them before it.
   */
  private boolean waitForDecision(Checkpoint checkpoint) {
    PipelineSpec.Approval a = spec.approval();
    if (!a.timed()
        || Workflow.getVersion("review-timers", Workflow.DEFAULT_VERSION, 1)
            == Workflow.DEFAULT_VERSION) {
      Workflow.await(() -> decided(checkpoint));
      return true;
    }
    long start = Workflow.currentTimeMillis();
    long deadline = a.timeoutSeconds() == null ? Long.MAX_VALUE : start + a.timeoutSeconds() * 1000;
    for (int sent = 0; ; sent++) {
      long nextReminder =
          a.remindAfterSeconds() == null
              ? Long.MAX_VALUE
              : start + (sent + 1) * a.remindAfterSeconds() * 1000;
      long wait = Math.max(1, Math.min(deadline, nextReminder) - Workflow.currentTimeMillis());
      if (Workflow.await(Duration.ofMillis(wait), () -> decided(checkpoint))) {
        return true;
      }
      long now = Workflow.currentTimeMillis();
      if (now >= deadline) {
        return false;
      }
      remind(checkpoint, sent + 1, Math.round((now - start) / 1000.0), deadline, now);
    }
  }

  /** Decided, and no corrections are being applied (a signal may decide while they are). */
  private boolean decided(Checkpoint checkpoint) {
    return decisions.has(checkpoint) && corrections.busy() == null;
  }

  /** A reminder that {@code checkpoint} waits; one that cannot be sent leaves a note. */
  private void remind(Checkpoint checkpoint, int count, long waited, long deadline, long now) {
    String id = Workflow.getInfo().getWorkflowId();
    try {
      boolean sent =
          notifications.remind(
              new Reminder(
                  id + "/" + Workflow.getInfo().getRunId() + "/" + checkpoint + "/" + count,
                  id,
                  spec.name(),
                  checkpoint.id(),
                  waited,
                  deadline == Long.MAX_VALUE ? null : Math.round((deadline - now) / 1000.0),
                  checkpoint == Checkpoint.DATA_REVIEW && dataReport != null
                      ? dataReport.markdown().path()
                      : null,
                  "./finetune approve "
                      + id
                      + " --checkpoint "
                      + checkpoint.id()
                      + " --by <you>   (or reject)"));
      if (!sent && count == 1) {
        notes.add("reminders not sent: the worker has no webhook (finetune.notifications)");
      }
    } catch (ActivityFailure e) {
      Failures.rethrowIfCancelled(e);
      notes.add(
          "reminder " + count + " at " + checkpoint + " not sent: " + Failures.innermostMessage(e));
    }
  }

  @Override
  public void validateDecide(Decision decision) {
    decisions.validate(decision, runState());
    if (corrections.busy() != null) {
      throw new IllegalArgumentException(
          corrections.busy() + " are being applied: decide once the data report is new");
    }
  }

  @Override
  public void validateCorrect(Corrections c) {
    DataCorrections.validate(c, runState(), corrections.busy());
  }

  /**
   * Rule 4, relabel instead of drop: the corrections make a new version of the data, which is split
   * with the same seed (a relabeled row stays on its side) and profiled again. The prompt baseline
   * is scored again only when a test row changed, reusing its answers: nothing is asked twice.
   */
  @Override
  public CorrectionRecord correct(Corrections c) {
    corrections.begin("corrections");
    try {
      CorrectionResult applied =
          dataset.applyCorrections(
              new CorrectionRequest(
                  trainData,
                  c.path(),
                  c.sha256(),
                  corrections.nextVersion(),
                  c.by(),
                  c.comment(),
                  spec.outputFields(),
                  spec.fieldValues(),
                  spec.task()));
      SplitResult resplit =
          dataset.split(
              SpecImports.split(
                  spec,
                  applied.data(),
                  evalSets,
                  sweepsAndCheckpoints ? spec.split().validationFraction() : 0));
      EvalResult test = baseline.test();
      if (!resplit.test().sha256().equals(split.test().sha256())) {
        test =
            evals.evaluate(
                evalRequest(spec.model().promptModel(), resplit.test())
                    .comparedWith(spec.target().metric(), null, null)
                    .reusingAnswers(baseline.test().predictions()));
      }
      trainData = applied.data();
      split = resplit;
      baseline = new Baseline(test, baseline.evalSets());
      dataReport = profile(trainData);
      CorrectionRecord record =
          new CorrectionRecord(
              applied.version(),
              c.by(),
              c.comment(),
              Workflow.currentTimeMillis(),
              applied.relabeled(),
              applied.excluded(),
              applied.data(),
              applied.lineage(),
              applied.corrections(),
              score());
      corrections.add(record);
      if (score() >= spec.target().score()) {
        notes.add(
            OutcomeReasons.promptMeetsTargetAfterCorrections(spec, score(), record.version()));
      }
      return record;
    } catch (ActivityFailure e) {
      throw DataCorrections.refused(e);
    } finally {
      corrections.end();
      enter(stage); // the search attributes and details show the new report
    }
  }

  @Override
  public void validateSuggest(SuggestionRequest r) {
    DataCorrections.validate(r, runState(), corrections.busy(), dataReport);
  }

  /**
   * The talk's "train on a larger model's outputs", with a person in between: a stronger model
   * answers the flagged rows, as suggestions a reviewer may accept line by line.
   */
  @Override
  public Suggestions suggest(SuggestionRequest r) {
    corrections.begin("suggestions");
    try {
      String provider =
          r.provider() != null
              ? r.provider()
              : spec.model().promptProvider() != null
                  ? spec.model().promptProvider()
                  : spec.provider();
      DatasetRef flagged = dataReport.flagged();
      EvalResult answers =
          evals.evaluate(
              new EvalRequest(provider, r.model(), spec.prompt(), flagged, spec.outputFields())
                  .forTask(spec.task())
                  .withFieldTypes(spec.fieldTypes()));
      Suggestions s =
          new Suggestions(
              r.model(),
              provider,
              r.by(),
              Workflow.currentTimeMillis(),
              flagged,
              answers.predictions(),
              answers.metrics());
      corrections.suggested(s);
      return s;
    } catch (ActivityFailure e) {
      throw DataCorrections.refused(e);
    } finally {
      corrections.end();
    }
  }

  @Override
  public DecisionRecord decide(Decision decision) {
    return decisions.update(decision, spec.approval().approvers(), () -> validateDecide(decision));
  }

  @Override
  public void decision(Decision decision) {
    decisions.signal(decision, this::runState);
  }

  @Override
  public PipelineStatus waitUntilDecisionNeeded() {
    Workflow.await(() -> open != null || ending != null);
    return status();
  }

  private DecisionRules.RunState runState() {
    return new DecisionRules.RunState(
        List.of(Checkpoint.DATA_REVIEW, Checkpoint.PROMOTION),
        stage,
        open,
        decisions.decided(),
        ending == null ? null : ending.outcome(),
        spec.approval().approvers());
  }

  // ---- state -------------------------------------------------------------------------------

  private PipelineStatus finish(Outcome outcome, String reason) {
    return finish(outcome, reason, null);
  }

  private PipelineStatus finish(Outcome outcome, String reason, ModelVersion promoted) {
    ending = new Ending(outcome, reason, promoted);
    enter(Stage.DONE);
    // Let callers waiting in waitUntilDecisionNeeded get their answer before the run closes.
    Workflow.await(Workflow::isEveryHandlerFinished);
    return status();
  }

  /** Moves to a stage and shows where the run is ({@link RunVisibility}). */
  private void enter(Stage next) {
    stage = next;
    visibility.show(status(), trainData == null ? null : trainData.sha256());
  }

  /** The baseline's score on the test set by the spec's target metric. */
  private double score() {
    return Scores.of(baseline.test().metrics(), spec.target().metric());
  }

  private boolean gatePassed() {
    return training.gate().passed();
  }

  /**
   * The prompt baseline's request, at the provider that serves the prompt model; tracked run over
   * run under the model's id, as {@code ./finetune eval --model} tracks it, so that the two line
   * up.
   */
  private EvalRequest evalRequest(String model, DatasetRef data) {
    String provider =
        spec.model().promptProvider() != null ? spec.model().promptProvider() : spec.provider();
    return new EvalRequest(provider, model, spec.prompt(), data, spec.outputFields())
        .forTask(spec.task())
        .withFieldTypes(spec.fieldTypes())
        .trackedAs(spec.name(), model);
  }

  /** The child's request: trained with {@code variant}, named by {@code label} (empty: none). */
  private CandidateRequest candidateRequest(
      Size size, Variant variant, String label, List<DatasetRef> evalSets) {
    return new CandidateRequest(
        spec.name(),
        size,
        spec.model().baseModel(size),
        spec.provider(),
        spec.prompt(),
        spec.outputFields(),
        split.train(),
        split.test(),
        evalSets,
        spec.split().seed(),
        variant.epochs(),
        split.validation(),
        spec.target().metric(),
        variant.learningRateMultiplier(),
        label,
        baseline.test().predictions(),
        baseline.test().model(),
        spec.task(),
        spec.fieldTypes());
  }

  @Override
  public PipelineStatus status() {
    PromotionGate gate = training.gate();
    return new PipelineStatus(
        spec.name(),
        trigger,
        stage,
        open,
        spec.target().metric(),
        spec.target().score(),
        split,
        baseline == null ? null : baseline.test(),
        baseline == null ? Map.of() : baseline.evalSets(),
        dataReport,
        training.sizes(),
        training.candidates(),
        training.failed(),
        gate == null ? null : gate.best().modelId(),
        gate == null ? null : gate.passed(),
        gate == null ? null : gate.verdict(),
        decisions.records(),
        decisions.ignored(),
        List.copyOf(notes),
        ending == null ? null : ending.outcome(),
        ending == null ? null : ending.reason(),
        ending == null ? rollingOut : ending.promoted(),
        judgeStanding,
        production,
        rollout,
        corrections.applied(),
        corrections.suggestions(),
        decisions.refused());
  }
}
