package io.finetune.workflows.training;

import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.Evals;
import io.finetune.workflows.training.CandidateResult.CheckpointChoice;
import io.finetune.workflows.training.TrainingActivities.AwaitJobRequest;
import io.finetune.workflows.training.TrainingActivities.Checkpoint;
import io.finetune.workflows.training.TrainingActivities.CheckpointsRequest;
import io.finetune.workflows.training.TrainingActivities.StartJobRequest;
import io.finetune.workflows.training.TrainingActivities.TrainedModel;
import io.finetune.workflows.training.TrainingActivities.TrainingFileRequest;
import io.finetune.workflows.training.TrainingActivities.UploadRequest;
import io.temporal.workflow.Workflow;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;

public class TrainCandidateImpl implements TrainCandidate {
  private static final Logger log = Workflow.getLogger(TrainCandidateImpl.class);

  private final TrainingActivities training = ActivityStubs.training();

  private final TrainingActivities trainingPoll = ActivityStubs.trainingPoll();

  private final EvalActivities eval = ActivityStubs.eval();

  /** Evals of large sets in shards (see {@link Evals}). */
  private final Evals evals = new Evals(eval);

  @Override
  public CandidateResult train(CandidateRequest r) {
    String executionKey = executionKey();
    // Version 1 uploads a validation set when the pipeline split one off, and picks the best of
    // the job's checkpoints on it; before it, the job's final model was the candidate.
    boolean checkpoints =
        Workflow.getVersion("validation-checkpoints", Workflow.DEFAULT_VERSION, 1)
                != Workflow.DEFAULT_VERSION
            && r.validation() != null;
    ArtifactRef file =
        training.prepareTrainingFile(
            new TrainingFileRequest(r.train(), r.prompt(), r.outputFields()));
    String fileId =
        training.uploadTrainingFile(
            new UploadRequest(r.provider(), file, executionKey, r.baseModel()));
    String validationFileId = null;
    if (checkpoints) {
      ArtifactRef validationFile =
          training.prepareTrainingFile(
              new TrainingFileRequest(r.validation(), r.prompt(), r.outputFields()));
      validationFileId =
          training.uploadTrainingFile(
              new UploadRequest(r.provider(), validationFile, executionKey, r.baseModel(), true));
    }
    String jobId =
        training.startJob(
            new StartJobRequest(
                r.provider(),
                r.baseModel(),
                fileId,
                suffix(r),
                r.seed(),
                r.epochs(),
                executionKey == null ? Workflow.getInfo().getWorkflowId() : executionKey,
                validationFileId,
                r.learningRateMultiplier()));
    TrainedModel model = trainingPoll.awaitJob(new AwaitJobRequest(r.provider(), jobId));

    String modelId = model.modelId();
    CheckpointChoice choice = null;
    if (checkpoints) {
      Chosen chosen = bestCheckpoint(r, jobId, model.modelId());
      modelId = chosen.modelId();
      choice = chosen.choice();
    }

    // Tracked run over run as the candidate of this size (and combination): each run trains a new
    // model, so the model id cannot be what lines its evals up with the previous run's.
    String tracked = "candidate " + label(r);
    EvalResult test =
        evals.evaluate(
            evalRequest(r, modelId, r.test())
                .comparedWith(r.selectionMetric(), r.baselinePredictions(), r.baselineModel())
                .trackedAs(r.name(), tracked));
    Map<String, EvalResult> sets = new LinkedHashMap<>();
    for (DatasetRef set : r.evalSets()) {
      sets.put(
          set.name(), evals.evaluate(evalRequest(r, modelId, set).trackedAs(r.name(), tracked)));
    }
    return new CandidateResult(
        r.size(),
        r.baseModel(),
        jobId,
        modelId,
        test,
        sets,
        model.trainedTokens(),
        model.trainingCost(),
        r.variant(),
        choice);
  }

  private record Chosen(String modelId, CheckpointChoice choice) {}

  /**
   * Scores each checkpoint the provider kept on the validation set (never the test set, which stays
   * for the comparison with the baseline) and takes the best; a tie goes to the later step, which
   * saw more training. Without checkpoints to choose from, the final model is the candidate.
   */
  private Chosen bestCheckpoint(CandidateRequest r, String jobId, String finalModel) {
    List<Checkpoint> kept = training.listCheckpoints(new CheckpointsRequest(r.provider(), jobId));
    if (kept.size() < 2) {
      return new Chosen(finalModel, null);
    }
    String metric = r.selectionMetric() == null ? Scores.EXACT_MATCH : r.selectionMetric();
    Checkpoint best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (Checkpoint c : kept) {
      double score =
          Scores.of(evals.evaluate(evalRequest(r, c.modelId(), r.validation())).metrics(), metric);
      log.info(
          "Checkpoint {} at step {}: {} {} on validation", c.modelId(), c.step(), metric, score);
      if (score > bestScore || (score == bestScore && c.step() > best.step())) {
        best = c;
        bestScore = score;
      }
    }
    return new Chosen(
        best.modelId(), new CheckpointChoice(best.step(), metric, bestScore, kept.size()));
  }

  /** The size and the sweep's combination, as {@link CandidateResult#label()} says them. */
  private static String label(CandidateRequest r) {
    return r.variant() == null || r.variant().isEmpty()
        ? r.size().id()
        : r.size().id() + " " + r.variant();
  }

  /** The job's suffix: the run's name, and the sweep's combination when there is one. */
  private static String suffix(CandidateRequest r) {
    return r.variant() == null || r.variant().isEmpty() ? r.name() : r.name() + "-" + r.variant();
  }

  /**
   * The key that makes a retried upload or job creation find what this execution already did:
   * workflow id and run id, so that a rerun of the same id trains anew. Version 1; before it the
   * workflow id alone was the key (null here), and a rerun silently reused the old job.
   */
  private static String executionKey() {
    int version = Workflow.getVersion("run-scoped-training-keys", Workflow.DEFAULT_VERSION, 1);
    return version == Workflow.DEFAULT_VERSION
        ? null
        : Workflow.getInfo().getWorkflowId() + "/" + Workflow.getInfo().getRunId();
  }

  private static EvalRequest evalRequest(CandidateRequest r, String model, DatasetRef data) {
    return new EvalRequest(r.provider(), model, r.prompt(), data, r.outputFields())
        .forTask(r.task())
        .withFieldTypes(r.fieldTypes());
  }
}
