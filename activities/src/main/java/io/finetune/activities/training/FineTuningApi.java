package io.finetune.activities.training;

import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.workflows.common.Failures;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One provider's fine-tuning API, in the few operations the training activities need. Each
 * implementation speaks its provider's documented endpoints through a {@link ProviderClient}, which
 * owns the key, the retries, the error mapping and the metrics; here are only paths, bodies and the
 * translation of the provider's answers into the small records below.
 *
 * <p>No provider has an idempotency key for creating a job, so each implementation marks the jobs
 * it creates with the run key (the candidate execution: workflow id + "/" + run id), and {@link
 * #findJobs} finds them again after a retry.
 */
public interface FineTuningApi {

  /** The API that {@code client}'s provider is configured to speak ({@code config.api()}). */
  static FineTuningApi of(ProviderClient client) {
    ProviderConfig config = client.config();
    return switch (config.api()) {
      case ProviderConfig.OPENAI_API -> new OpenAiFineTuning(client);
      case ProviderConfig.TOGETHER_API -> new TogetherFineTuning(client);
      default ->
          throw Failures.invalidInput(
              "Provider '"
                  + config.name()
                  + "' is configured with fine-tuning api '"
                  + config.api()
                  + "'; this worker speaks "
                  + ProviderConfig.OPENAI_API
                  + " or "
                  + ProviderConfig.TOGETHER_API
                  + " (finetune.providers."
                  + config.name()
                  + ".api).");
    };
  }

  /** The documented limits a training file must meet before it is uploaded. */
  TrainingFileRules trainingFileRules();

  /** The id of a fine-tuning file already uploaded under exactly {@code filename}, if any. */
  Optional<String> findUpload(String filename);

  /**
   * Uploads {@code file} for fine-tuning under {@code filename}; returns the provider's file id.
   */
  String upload(String filename, Path file);

  /** Creates a job, marked with {@code request.runKey()} so that {@link #findJobs} finds it. */
  FineTuningJob create(JobRequest request);

  FineTuningJob get(String jobId);

  /** The messages of the job's latest events, newest first, at most {@code limit}. */
  List<String> latestEvents(String jobId, int limit);

  void cancel(String jobId);

  /** The jobs created for {@code runKey} (the provider may list more; these are checked). */
  List<FineTuningJob> findJobs(String runKey);

  /** The job's saved checkpoints, by step. */
  List<Checkpoint> checkpoints(String jobId);

  /** Whether its checkpoints can be called like models (and so scored); else downloads only. */
  default boolean servesCheckpoints() {
    return true;
  }

  /**
   * The name to call the trained model by (for inference and the registry), once the job has
   * succeeded; fails non-retryably when the provider names none.
   */
  default String trainedModel(FineTuningJob job) {
    if (job.fineTunedModel() == null || job.fineTunedModel().isBlank()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "Fine-tuning job " + job.id() + " succeeded but names no trained model",
          Failures.TRAINING_FAILED);
    }
    return job.fineTunedModel();
  }

  /**
   * What to train: {@code suffix} names the model (the provider may shorten it), {@code epochs} and
   * {@code learningRateMultiplier} null for the provider's default, {@code validationFile} null for
   * none.
   */
  record JobRequest(
      String baseModel,
      String trainingFile,
      String validationFile,
      String suffix,
      long seed,
      Integer epochs,
      Double learningRateMultiplier,
      String runKey) {}

  /** Where a job is, whatever words its provider uses for it. */
  enum State {
    /** Queued, validating, training, uploading the result, or a status not known here yet. */
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED
  }

  /**
   * A job as the provider describes it.
   *
   * @param rawStatus the provider's own word, for progress and messages
   * @param fineTunedModel the trained model's name; null until the provider names it
   * @param trainedTokens null when the provider does not say
   * @param errorMessage why it failed, when it did and the provider says
   */
  record FineTuningJob(
      String id,
      State state,
      String rawStatus,
      String baseModel,
      String trainingFile,
      String fineTunedModel,
      Long trainedTokens,
      String errorMessage,
      String errorCode) {}

  /**
   * A checkpoint of a job.
   *
   * @param modelId what the provider calls it (a model to call, or a checkpoint to start from)
   * @param metrics the numbers the provider recorded at that step (loss, accuracy), maybe none
   */
  record Checkpoint(String modelId, long step, Map<String, Double> metrics) {}
}
