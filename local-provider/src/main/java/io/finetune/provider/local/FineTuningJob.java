package io.finetune.provider.local;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Map;

/**
 * A fine-tuning job as the OpenAI API shows it ({@code fine_tuning.job}). Immutable: each step of
 * its lifecycle returns a new job. The JSON is the API's, field for field and in the same order.
 */
@JsonIgnoreProperties(value = "object", allowGetters = true) // a constant, not state
@JsonPropertyOrder({
  "id",
  "object",
  "model",
  "created_at",
  "training_file",
  "validation_file",
  "status",
  "fine_tuned_model",
  "error",
  "seed",
  "suffix",
  "hyperparameters",
  "metadata",
  "trained_tokens",
  "finished_at"
})
record FineTuningJob(
    String id,
    String model,
    @JsonProperty("created_at") long createdAt,
    @JsonProperty("training_file") String trainingFile,
    // Null when the job has none, as the API answers (and as jobs saved before it were).
    @JsonProperty("validation_file") String validationFile,
    Status status,
    @JsonProperty("fine_tuned_model") String fineTunedModel,
    Error error,
    long seed,
    String suffix,
    Hyperparameters hyperparameters,
    Map<String, String> metadata,
    // Absent, not null, until the job succeeds, as the provider has always answered.
    @JsonProperty("trained_tokens") @JsonInclude(JsonInclude.Include.NON_NULL)
        Integer trainedTokens,
    @JsonProperty("finished_at") @JsonInclude(JsonInclude.Include.NON_NULL) Long finishedAt) {

  /** The API's job states; their JSON values are the API's strings. */
  enum Status {
    VALIDATING_FILES,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    @JsonValue
    String apiValue() {
      return name().toLowerCase(Locale.ROOT);
    }

    boolean isFinished() {
      return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
  }

  @SuppressWarnings("JavaLangClash") // named as in the fine-tuning API (a job's "error")
  record Error(String code, String message, String param) {}

  /**
   * As the API echoes them. {@code batch_size} is {@code "auto"} (one example per update) or a
   * number. Jobs saved before batch size and multiplier existed ran with auto and 1.0.
   */
  record Hyperparameters(
      @JsonProperty("n_epochs") int nEpochs,
      @JsonProperty("batch_size") Object batchSize,
      @JsonProperty("learning_rate_multiplier") Double learningRateMultiplier) {
    static final String AUTO = "auto";

    Hyperparameters {
      batchSize = batchSize == null ? AUTO : batchSize;
      learningRateMultiplier = learningRateMultiplier == null ? 1.0 : learningRateMultiplier;
    }

    TrainingOptions trainingOptions() {
      int batch = batchSize instanceof Number n ? n.intValue() : 1;
      return new TrainingOptions(nEpochs, batch, learningRateMultiplier);
    }
  }

  static FineTuningJob created(
      String id,
      String model,
      long createdAt,
      String trainingFile,
      String validationFile,
      long seed,
      String suffix,
      Hyperparameters hyperparameters,
      Map<String, String> metadata) {
    return new FineTuningJob(
        id,
        model,
        createdAt,
        trainingFile,
        validationFile,
        Status.VALIDATING_FILES,
        null,
        null,
        seed,
        suffix,
        hyperparameters,
        metadata,
        null,
        null);
  }

  @JsonProperty("object")
  String object() {
    return "fine_tuning.job";
  }

  FineTuningJob running() {
    return withStatus(Status.RUNNING);
  }

  FineTuningJob succeeded(String fineTunedModel, int trainedTokens, long finishedAt) {
    return new FineTuningJob(
        id,
        model,
        createdAt,
        trainingFile,
        validationFile,
        Status.SUCCEEDED,
        fineTunedModel,
        null,
        seed,
        suffix,
        hyperparameters,
        metadata,
        trainedTokens,
        finishedAt);
  }

  /** {@code param}: the request field at fault, such as {@code training_file}, or null. */
  FineTuningJob failed(String code, String message, String param) {
    return new FineTuningJob(
        id,
        model,
        createdAt,
        trainingFile,
        validationFile,
        Status.FAILED,
        fineTunedModel,
        new Error(code, message, param),
        seed,
        suffix,
        hyperparameters,
        metadata,
        trainedTokens,
        finishedAt);
  }

  FineTuningJob cancelled() {
    return withStatus(Status.CANCELLED);
  }

  private FineTuningJob withStatus(Status next) {
    return new FineTuningJob(
        id,
        model,
        createdAt,
        trainingFile,
        validationFile,
        next,
        fineTunedModel,
        error,
        seed,
        suffix,
        hyperparameters,
        metadata,
        trainedTokens,
        finishedAt);
  }
}
