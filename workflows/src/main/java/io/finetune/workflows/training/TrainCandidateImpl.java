package io.finetune.workflows.training;

import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.training.TrainingActivities.AwaitJobRequest;
import io.finetune.workflows.training.TrainingActivities.StartJobRequest;
import io.finetune.workflows.training.TrainingActivities.TrainedModel;
import io.finetune.workflows.training.TrainingActivities.TrainingFileRequest;
import io.finetune.workflows.training.TrainingActivities.UploadRequest;
import io.temporal.workflow.Workflow;
import java.util.LinkedHashMap;
import java.util.Map;

public class TrainCandidateImpl implements TrainCandidate {

  private final TrainingActivities training = ActivityStubs.training();

  private final TrainingActivities trainingPoll = ActivityStubs.trainingPoll();

  private final EvalActivities eval = ActivityStubs.eval();

  @Override
  public CandidateResult train(CandidateRequest r) {
    String executionKey = executionKey();
    ArtifactRef file =
        training.prepareTrainingFile(
            new TrainingFileRequest(r.train(), r.prompt(), r.outputFields()));
    String fileId =
        training.uploadTrainingFile(
            new UploadRequest(r.provider(), file, executionKey, r.baseModel()));
    String jobId =
        training.startJob(
            new StartJobRequest(
                r.provider(),
                r.baseModel(),
                fileId,
                r.name(),
                r.seed(),
                r.epochs(),
                executionKey == null ? Workflow.getInfo().getWorkflowId() : executionKey));
    TrainedModel model = trainingPoll.awaitJob(new AwaitJobRequest(r.provider(), jobId));

    EvalResult test = eval.evaluate(evalRequest(r, model.modelId(), r.test()));
    Map<String, EvalResult> sets = new LinkedHashMap<>();
    for (DatasetRef set : r.evalSets()) {
      sets.put(set.name(), eval.evaluate(evalRequest(r, model.modelId(), set)));
    }
    return new CandidateResult(r.size(), r.baseModel(), jobId, model.modelId(), test, sets);
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
    return new EvalRequest(r.provider(), model, r.prompt(), data, r.outputFields());
  }
}
