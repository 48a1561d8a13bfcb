package io.finetune.provider.local;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * A model saved after one of a job's last epochs, servable by its own id, as the OpenAI API shows
 * it ({@code fine_tuning.job.checkpoint}).
 */
@JsonIgnoreProperties(value = "object", allowGetters = true) // a constant, not state
@JsonPropertyOrder({
  "object",
  "id",
  "created_at",
  "fine_tuned_model_checkpoint",
  "step_number",
  "metrics",
  "fine_tuning_job_id"
})
record FineTuningCheckpoint(
    String id,
    @JsonProperty("created_at") long createdAt,
    @JsonProperty("fine_tuned_model_checkpoint") String fineTunedModelCheckpoint,
    @JsonProperty("step_number") int stepNumber,
    Metrics metrics,
    @JsonProperty("fine_tuning_job_id") String fineTuningJobId) {

  /** Like OpenAI, the model after each of the last three epochs. */
  static final int KEPT = 3;

  /**
   * The scores at the checkpoint's step; the {@code valid_*} ones only when the job has a
   * validation file. Each epoch scores the whole validation file, so {@code valid_*} and {@code
   * full_valid_*} are equal (OpenAI scores a sample for the former).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy"
  })
  record Metrics(
      int step,
      @JsonProperty("train_loss") double trainLoss,
      @JsonProperty("train_mean_token_accuracy") double trainMeanTokenAccuracy,
      @JsonProperty("valid_loss") Double validLoss,
      @JsonProperty("valid_mean_token_accuracy") Double validMeanTokenAccuracy,
      @JsonProperty("full_valid_loss") Double fullValidLoss,
      @JsonProperty("full_valid_mean_token_accuracy") Double fullValidMeanTokenAccuracy) {

    static Metrics of(FineTunedModel.EpochScores s) {
      return new Metrics(
          s.step(),
          s.trainLoss(),
          s.trainAccuracy(),
          s.validLoss(),
          s.validAccuracy(),
          s.validLoss(),
          s.validAccuracy());
    }
  }

  /** The list answer, newest first, with the ids at both ends (null when empty). */
  @JsonPropertyOrder({"object", "data", "has_more", "first_id", "last_id"})
  record Page(
      String object,
      List<FineTuningCheckpoint> data,
      @JsonProperty("has_more") boolean hasMore,
      @JsonProperty("first_id") String firstId,
      @JsonProperty("last_id") String lastId) {
    Page(List<FineTuningCheckpoint> data, boolean hasMore) {
      this(
          "list",
          data,
          hasMore,
          data.isEmpty() ? null : data.get(0).id(),
          data.isEmpty() ? null : data.get(data.size() - 1).id());
    }
  }

  @JsonProperty("object")
  String object() {
    return "fine_tuning.job.checkpoint";
  }
}
