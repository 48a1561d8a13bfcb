package io.finetune.workflows.training;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.temporal.activity.ActivityInterface;
import java.util.List;

/** Fine-tuning through an OpenAI-compatible provider; each step is safe to retry. */
@ActivityInterface
public interface TrainingActivities {

  /** Writes the chat-format SFT file ({@code {"messages": [...]}} per line). */
  ArtifactRef prepareTrainingFile(TrainingFileRequest request);

  /** Uploads the file unless the provider already has it (matched by content hash). */
  String uploadTrainingFile(UploadRequest request);

  /** Creates the job unless one with the same attempt key exists: one job per attempt. */
  String startJob(StartJobRequest request);

  /** Polls the job, heartbeating its status, until it succeeds (or fails, non-retryably). */
  TrainedModel awaitJob(AwaitJobRequest request);

  record TrainingFileRequest(DatasetRef train, String prompt, List<String> outputFields) {}

  record UploadRequest(String provider, ArtifactRef file) {}

  record StartJobRequest(
      String provider,
      String baseModel,
      String fileId,
      String suffix,
      long seed,
      Integer epochs,
      String attemptKey) {}

  record AwaitJobRequest(String provider, String jobId) {}

  record TrainedModel(String jobId, String modelId, long trainedTokens) {}
}
