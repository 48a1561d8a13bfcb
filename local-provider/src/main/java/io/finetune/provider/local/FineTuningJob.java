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

  record Error(String code, String message, String param) {}

  record Hyperparameters(@JsonProperty("n_epochs") int nEpochs) {}

  static FineTuningJob created(
      String id,
      String model,
      long createdAt,
      String trainingFile,
      long seed,
      String suffix,
      int epochs,
      Map<String, String> metadata) {
    return new FineTuningJob(
        id,
        model,
        createdAt,
        trainingFile,
        Status.VALIDATING_FILES,
        null,
        null,
        seed,
        suffix,
        new Hyperparameters(epochs),
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

  FineTuningJob failed(String code, String message) {
    return new FineTuningJob(
        id,
        model,
        createdAt,
        trainingFile,
        Status.FAILED,
        fineTunedModel,
        new Error(code, message, null),
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
