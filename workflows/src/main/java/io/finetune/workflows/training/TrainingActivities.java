package io.finetune.workflows.training;

import com.fasterxml.jackson.annotation.JsonAlias;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.temporal.activity.ActivityInterface;
import java.util.List;
import java.util.Map;

/**
 * Fine-tuning through the provider's fine-tuning API (OpenAI or Together); each step is safe to
 * retry.
 */
@ActivityInterface
public interface TrainingActivities {

  /** Writes the chat-format SFT file ({@code {"messages": [...]}} per line). */
  ArtifactRef prepareTrainingFile(TrainingFileRequest request);

  /**
   * Checks the file against the provider's documented rules, then uploads it unless this execution
   * already uploaded it (matched by a file name made of the execution key and the content hash).
   */
  String uploadTrainingFile(UploadRequest request);

  /**
   * Creates the job unless this execution already created the same one (same execution key,
   * training file and base model): one job per candidate execution, however often retried.
   */
  String startJob(StartJobRequest request);

  /** Polls the job, heartbeating its status, until it succeeds (or fails, non-retryably). */
  TrainedModel awaitJob(AwaitJobRequest request);

  /**
   * The job's checkpoints the provider keeps (OpenAI: the last epochs'), newest first; empty when
   * the provider has none or no such endpoint.
   */
  List<Checkpoint> listCheckpoints(CheckpointsRequest request);

  record TrainingFileRequest(DatasetRef train, String prompt, List<String> outputFields) {}

  /**
   * {@code executionKey} names the candidate's execution (workflow id / run id); null in histories
   * from before uploads were scoped to one execution. {@code baseModel} is the model the file will
   * train, for the check of each example's length against its training context; null in histories
   * from before the check (then only the format is checked). {@code validation}: the file is the
   * validation set (no minimum number of examples); false in histories from before it.
   */
  record UploadRequest(
      String provider,
      ArtifactRef file,
      String executionKey,
      String baseModel,
      boolean validation) {

    public UploadRequest(String provider, ArtifactRef file, String executionKey) {
      this(provider, file, executionKey, null, false);
    }

    public UploadRequest(String provider, ArtifactRef file, String executionKey, String baseModel) {
      this(provider, file, executionKey, baseModel, false);
    }
  }

  /**
   * {@code validationFileId} and {@code learningRateMultiplier} are null for none (the provider's
   * default), and in histories from before checkpoints and sweeps.
   */
  record StartJobRequest(
      String provider,
      String baseModel,
      String fileId,
      String suffix,
      long seed,
      Integer epochs,
      @JsonAlias("attemptKey") String executionKey,
      String validationFileId,
      Double learningRateMultiplier) {

    public StartJobRequest(
        String provider,
        String baseModel,
        String fileId,
        String suffix,
        long seed,
        Integer epochs,
        String executionKey) {
      this(provider, baseModel, fileId, suffix, seed, epochs, executionKey, null, null);
    }
  }

  record CheckpointsRequest(String provider, String jobId) {}

  /** A servable snapshot of a job's model, at a training step, with the provider's metrics. */
  record Checkpoint(String modelId, long step, Map<String, Double> metrics) {}

  record AwaitJobRequest(String provider, String jobId) {}

  /** A training poll's heartbeat: the provider's job, its status and its latest event. */
  record JobProgress(String jobId, String status, String latestEvent) {}

  /**
   * The job's model, the tokens it trained and their cost by the provider's price table for the
   * base model (null when the table has no price, and in histories from before it was priced).
   */
  record TrainedModel(String jobId, String modelId, long trainedTokens, Double trainingCost) {
    public TrainedModel(String jobId, String modelId, long trainedTokens) {
      this(jobId, modelId, trainedTokens, null);
    }
  }
}
