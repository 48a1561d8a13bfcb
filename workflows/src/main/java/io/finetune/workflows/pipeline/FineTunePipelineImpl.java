package io.finetune.workflows.pipeline;

import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.dataset.DatasetActivities;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.dataset.DatasetActivities.ProfileRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.registry.RegistryActivities;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.training.CandidateRequest;
import io.finetune.workflows.training.CandidateResult;
import io.finetune.workflows.training.TrainCandidate;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;

public class FineTunePipelineImpl implements FineTunePipeline {
  private static final Logger log = Workflow.getLogger(FineTunePipelineImpl.class);

  private final DatasetActivities dataset = ActivityStubs.dataset();

  private final EvalActivities eval = ActivityStubs.eval();

  private final RegistryActivities registry = ActivityStubs.registry();

  private PipelineSpec spec;
  private String trigger;
  private Stage stage = Stage.IMPORTING;
  private String pendingCheckpoint;
  private SplitResult split;
  private EvalResult baseline;
  private final Map<String, EvalResult> baselineEvalSets = new LinkedHashMap<>();
  private DataReport dataReport;
  private List<String> sizes = List.of();
  private final List<CandidateResult> candidates = new ArrayList<>();
  private final Map<String, String> failedCandidates = new LinkedHashMap<>();
  private String bestModel;
  private Boolean gatePassed;
  private final Map<String, DecisionRecord> decisions = new LinkedHashMap<>();
  private final List<IgnoredSignal> ignoredSignals = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private Outcome outcome;
  private String outcomeReason;
  private ModelVersion promoted;

  @Override
  public PipelineStatus run(PipelineInput input) {
    spec = input.spec();
    trigger = input.trigger();
    enter(Stage.IMPORTING);
    String metric = spec.target().metric();
    double target = spec.target().score();

    DatasetRef data =
        dataset.importDataset(
            new ImportRequest(
                "train",
                spec.dataset().path(),
                spec.dataset().inputField(),
                spec.dataset().outputField(),
                spec.outputFields(),
                true));
    List<DatasetRef> evalSets = new ArrayList<>();
    for (PipelineSpec.EvalSet set : spec.evalSets()) {
      evalSets.add(
          dataset.importDataset(
              new ImportRequest(
                  set.name(),
                  set.path(),
                  spec.dataset().inputField(),
                  spec.dataset().outputField(),
                  spec.outputFields(),
                  true)));
    }

    enter(Stage.SPLITTING);
    split =
        dataset.split(
            new SplitRequest(data, spec.split().testFraction(), spec.split().seed(), evalSets));

    // Rule 1: the prompt baseline comes first and is the reference every candidate must beat.
    enter(Stage.BASELINE);
    String promptModel = spec.model().promptModel();
    baseline = eval.evaluate(request(promptModel, split.test()));
    for (DatasetRef set : evalSets) {
      baselineEvalSets.put(set.name(), eval.evaluate(request(promptModel, set)));
    }
    double baselineScore = Scores.of(baseline.metrics(), metric);
    // Version 1: a prompt that meets the target only ends the run when quality is the reason to
    // fine-tune; for latency or cost, a smaller tuned model can still be worth it.
    int honoursReason =
        Workflow.getVersion("prompt-sufficient-honours-reason", Workflow.DEFAULT_VERSION, 1);
    boolean forQuality =
        honoursReason == Workflow.DEFAULT_VERSION || spec.target().reason().equals("quality");
    if (baselineScore >= target && !forQuality) {
      notes.add(
          String.format(
              Locale.ROOT,
              "The prompt alone meets the target (%s %.3f >= %.3f); fine-tuning goes on because"
                  + " the spec's reason is %s.",
              metric,
              baselineScore,
              target,
              spec.target().reason()));
    }
    if (baselineScore >= target && forQuality) {
      return finish(
          Outcome.PROMPT_SUFFICIENT,
          String.format(
              Locale.ROOT,
              "The prompt alone scores %s %.3f on the held-out test set, meeting the target %.3f:"
                  + " fine-tuning is not needed for %s. Ship the prompt.",
              metric,
              baselineScore,
              target,
              spec.target().reason()));
    }

    // Rule 3: a person reviews the data (and the rows the baseline got wrong) before training.
    enter(Stage.PROFILING);
    dataReport =
        dataset.profile(
            new ProfileRequest(data, split, spec.outputFields(), baseline, metric, target));
    DecisionRecord review = awaitDecision(Checkpoints.DATA_REVIEW, Stage.DATA_REVIEW);
    if (review.action().equals(Checkpoints.REJECT)) {
      return finish(
          Outcome.REJECTED_AT_DATA_REVIEW,
          "Data rejected by " + review.by() + commentSuffix(review) + ". Nothing was trained.");
    }

    enter(Stage.TRAINING);
    sizes = chooseSizes(split.train().rows());
    trainCandidates(evalSets);
    if (candidates.isEmpty()) {
      throw io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
          "Every candidate failed to train: " + failedCandidates, "AllCandidatesFailed");
    }
    CandidateResult best = candidates.get(0);
    for (CandidateResult c : candidates) {
      if (Scores.of(c.test().metrics(), metric) > Scores.of(best.test().metrics(), metric)) {
        best = c;
      }
    }
    bestModel = best.modelId();
    gatePassed = Scores.of(best.test().metrics(), metric) > baselineScore;

    DecisionRecord approval = awaitDecision(Checkpoints.PROMOTION, Stage.PROMOTION_REVIEW);
    if (approval.action().equals(Checkpoints.REJECT)) {
      return finish(
          Outcome.REJECTED_AT_PROMOTION,
          "Promotion of "
              + best.modelId()
              + " rejected by "
              + approval.by()
              + commentSuffix(approval)
              + ".");
    }

    enter(Stage.PROMOTING);
    promoted =
        registry.promote(
            new PromoteRequest(
                spec.name(),
                Workflow.getInfo().getWorkflowId(),
                best.modelId(),
                spec.provider(),
                best.size(),
                best.test().metrics(),
                spec,
                data,
                approval.by()));
    return finish(
        Outcome.PROMOTED,
        String.format(
            Locale.ROOT,
            "%s (%s) promoted as %s v%d: %s %.3f vs prompt baseline %.3f%s.",
            best.modelId(),
            best.size(),
            spec.name(),
            promoted.version(),
            metric,
            Scores.of(best.test().metrics(), metric),
            baselineScore,
            approval.override() ? " (gate overridden by " + approval.by() + ")" : ""));
  }

  private EvalRequest request(String model, DatasetRef data) {
    return new EvalRequest(spec.provider(), model, spec.prompt(), data, spec.outputFields());
  }

  /**
   * Rule 6: the sizes the spec names, or one recommended from the dataset size: dozens of rows need
   * the largest model, thousands do well with a mid-size one.
   */
  private List<String> chooseSizes(int trainRows) {
    List<String> wanted = spec.model().sizes();
    if (!wanted.equals(List.of("auto"))) {
      return wanted;
    }
    String size = trainRows < 500 ? "large" : trainRows < 50_000 ? "medium" : "small";
    log.info("model.sizes is auto: {} training rows -> {}", trainRows, size);
    return List.of(size);
  }

  private void trainCandidates(List<DatasetRef> evalSets) {
    Map<String, Promise<CandidateResult>> running = new LinkedHashMap<>();
    for (String size : sizes) {
      TrainCandidate child =
          Workflow.newChildWorkflowStub(
              TrainCandidate.class,
              ChildWorkflowOptions.newBuilder()
                  .setWorkflowId(Workflow.getInfo().getWorkflowId() + "-train-" + size)
                  .build());
      CandidateRequest request =
          new CandidateRequest(
              spec.name(),
              size,
              spec.model().baseModels().get(size),
              spec.provider(),
              spec.prompt(),
              spec.outputFields(),
              split.train(),
              split.test(),
              evalSets,
              spec.split().seed(),
              spec.model().epochs());
      running.put(size, Async.function(child::train, request));
    }
    for (Map.Entry<String, Promise<CandidateResult>> r : running.entrySet()) {
      try {
        candidates.add(r.getValue().get());
      } catch (ChildWorkflowFailure e) {
        // The innermost failure says why (e.g. the provider's reason for failing the job).
        Throwable cause = e;
        while (cause.getCause() != null) {
          cause = cause.getCause();
        }
        String why =
            cause instanceof TemporalFailure f ? f.getOriginalMessage() : cause.getMessage();
        failedCandidates.put(r.getKey(), why);
        log.warn("Candidate {} failed: {}", r.getKey(), why);
      }
    }
  }

  private DecisionRecord awaitDecision(String checkpoint, Stage waitingStage) {
    pendingCheckpoint = checkpoint;
    enter(waitingStage);
    Workflow.await(() -> decisions.containsKey(checkpoint));
    pendingCheckpoint = null;
    DecisionRecord d = decisions.get(checkpoint);
    // A decision may have come early (by signal), before the gate it overrides was known.
    boolean override =
        checkpoint.equals(Checkpoints.PROMOTION)
            && d.action().equals(Checkpoints.APPROVE)
            && Boolean.FALSE.equals(gatePassed);
    if (override != d.override()) {
      d =
          new DecisionRecord(
              d.checkpoint(), d.action(), d.by(), d.comment(), d.atMillis(), d.via(), override);
      decisions.put(checkpoint, d);
    }
    return d;
  }

  private PipelineStatus finish(Outcome outcome, String reason) {
    this.outcome = outcome;
    this.outcomeReason = reason;
    enter(Stage.DONE);
    return status();
  }

  /** Moves to a stage and shows where the run is in the Web UI ("current details"). */
  private void enter(Stage next) {
    stage = next;
    Workflow.setCurrentDetails(CurrentDetails.of(Workflow.getInfo().getWorkflowId(), status()));
  }

  private static String commentSuffix(DecisionRecord d) {
    return d.comment() == null || d.comment().isBlank() ? "" : " (\"" + d.comment() + "\")";
  }

  // ---- decisions ---------------------------------------------------------------------------

  @Override
  public void validateDecide(Decision decision) {
    String problem = problemWith(decision, true);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  @Override
  public DecisionRecord decide(Decision decision) {
    return record(decision, "update");
  }

  @Override
  public void decision(Decision decision) {
    String problem = problemWith(decision, false);
    if (problem != null) {
      log.warn("Ignoring decision signal {}: {}", decision, problem);
      ignoredSignals.add(new IgnoredSignal(decision, problem, Workflow.currentTimeMillis()));
      return;
    }
    record(decision, "signal");
  }

  /**
   * Why a decision cannot be taken, or null. Updates must name the open checkpoint; a signal may
   * come early and is kept until its checkpoint opens.
   */
  private String problemWith(Decision d, boolean mustBeOpen) {
    if (d == null) {
      return "empty decision; send {\"checkpoint\": ..., \"action\": \"approve\"|\"reject\","
          + " \"by\": ..., \"comment\": ...}";
    }
    if (d.checkpoint() == null || !Checkpoints.ALL.contains(d.checkpoint())) {
      return "unknown checkpoint '" + d.checkpoint() + "'; expected one of " + Checkpoints.ALL;
    }
    String action = d.action() == null ? "" : d.action().toLowerCase(Locale.ROOT);
    if (!action.equals(Checkpoints.APPROVE) && !action.equals(Checkpoints.REJECT)) {
      return "unknown action '" + d.action() + "'; expected approve or reject";
    }
    if (d.by() == null || d.by().isBlank()) {
      return "'by' is required: who takes this decision";
    }
    List<String> approvers = spec == null ? List.of() : spec.approval().approvers();
    if (!approvers.isEmpty() && !approvers.contains(d.by())) {
      return "'" + d.by() + "' may not decide on this run; approvers are " + approvers;
    }
    DecisionRecord earlier = decisions.get(d.checkpoint());
    if (earlier != null) {
      return "checkpoint "
          + d.checkpoint()
          + " was already decided ("
          + earlier.action()
          + " by "
          + earlier.by()
          + ")";
    }
    if (stage == Stage.DONE) {
      return "the run is over (" + outcome + ")";
    }
    if (mustBeOpen && !d.checkpoint().equals(pendingCheckpoint)) {
      return pendingCheckpoint == null
          ? "checkpoint " + d.checkpoint() + " is not open; the run is at stage " + stage
          : "checkpoint "
              + d.checkpoint()
              + " is not open; the open checkpoint is "
              + pendingCheckpoint;
    }
    return null;
  }

  private DecisionRecord record(Decision d, String via) {
    DecisionRecord r =
        new DecisionRecord(
            d.checkpoint(),
            d.action().toLowerCase(Locale.ROOT),
            d.by(),
            d.comment(),
            Workflow.currentTimeMillis(),
            via,
            false);
    decisions.put(d.checkpoint(), r);
    return r;
  }

  @Override
  public PipelineStatus status() {
    return new PipelineStatus(
        spec == null ? null : spec.name(),
        trigger,
        stage,
        pendingCheckpoint,
        spec == null ? null : spec.target().metric(),
        spec == null ? 0 : spec.target().score(),
        split,
        baseline,
        new LinkedHashMap<>(baselineEvalSets),
        dataReport,
        sizes,
        List.copyOf(candidates),
        new LinkedHashMap<>(failedCandidates),
        bestModel,
        gatePassed,
        List.copyOf(decisions.values()),
        List.copyOf(ignoredSignals),
        List.copyOf(notes),
        outcome,
        outcomeReason,
        promoted);
  }
}
