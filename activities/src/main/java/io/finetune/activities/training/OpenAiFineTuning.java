package io.finetune.activities.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.provider.ProviderClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * OpenAI's fine-tuning API (https://platform.openai.com/docs/api-reference/fine-tuning), which
 * every OpenAI-compatible server (the local provider among them) speaks too. A job carries its run
 * key in its metadata, which the job list filters by.
 */
final class OpenAiFineTuning implements FineTuningApi {
  /** Job metadata naming the candidate execution that created the job (workflow id / run id). */
  static final String RUN_KEY = "finetune_attempt";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProviderClient client;

  OpenAiFineTuning(ProviderClient client) {
    this.client = client;
  }

  @Override
  public TrainingFileRules trainingFileRules() {
    return TrainingFileRules.OPENAI;
  }

  @Override
  public Optional<String> findUpload(String filename) {
    for (JsonNode f : client.get("files", client.url("files")).path("data")) {
      if (filename.equals(f.path("filename").asText())
          && "fine-tune".equals(f.path("purpose").asText())) {
        return Optional.of(f.path("id").asText());
      }
    }
    return Optional.empty();
  }

  @Override
  public String upload(String filename, Path file) {
    return client
        .postMultipart(
            "files", client.url("files"), Map.of("purpose", "fine-tune"), "file", filename, file)
        .path("id")
        .asText();
  }

  @Override
  public FineTuningJob create(JobRequest r) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", r.baseModel());
    body.put("training_file", r.trainingFile());
    if (r.validationFile() != null) {
      body.put("validation_file", r.validationFile());
    }
    body.put("suffix", r.suffix().length() > 40 ? r.suffix().substring(0, 40) : r.suffix());
    body.put("seed", r.seed());
    body.putObject("metadata").put(RUN_KEY, r.runKey());
    // method, not the deprecated top-level hyperparameters.
    ObjectNode supervised =
        body.putObject("method").put("type", "supervised").putObject("supervised");
    if (r.epochs() != null || r.learningRateMultiplier() != null) {
      ObjectNode hp = supervised.putObject("hyperparameters");
      if (r.epochs() != null) {
        hp.put("n_epochs", r.epochs());
      }
      if (r.learningRateMultiplier() != null) {
        hp.put("learning_rate_multiplier", r.learningRateMultiplier());
      }
    }
    return job(client.postJson("fine_tuning/jobs", client.url("fine_tuning/jobs"), body));
  }

  @Override
  public FineTuningJob get(String jobId) {
    return job(client.get("fine_tuning/jobs/{id}", client.url("fine_tuning/jobs/" + jobId)));
  }

  @Override
  public List<String> latestEvents(String jobId, int limit) {
    var url =
        client
            .url("fine_tuning/jobs/" + jobId + "/events")
            .newBuilder()
            .addQueryParameter("limit", String.valueOf(limit))
            .build();
    List<String> messages = new ArrayList<>();
    // Newest first, in the API's own order.
    for (JsonNode e : client.get("fine_tuning/jobs/{id}/events", url).path("data")) {
      if (e.hasNonNull("message") && messages.size() < limit) {
        messages.add(e.path("message").asText());
      }
    }
    return messages;
  }

  @Override
  public void cancel(String jobId) {
    client.postJson(
        "fine_tuning/jobs/{id}/cancel",
        client.url("fine_tuning/jobs/" + jobId + "/cancel"),
        JSON.createObjectNode());
  }

  @Override
  public List<FineTuningJob> findJobs(String runKey) {
    var url =
        client
            .url("fine_tuning/jobs")
            .newBuilder()
            .addQueryParameter("metadata[" + RUN_KEY + "]", runKey)
            .addQueryParameter("limit", "100")
            .build();
    List<FineTuningJob> jobs = new ArrayList<>();
    // The provider filters by metadata; a server that ignores the filter is checked here.
    for (JsonNode job : client.get("fine_tuning/jobs", url).path("data")) {
      if (runKey.equals(job.path("metadata").path(RUN_KEY).asText())) {
        jobs.add(job(job));
      }
    }
    return jobs;
  }

  @Override
  public List<Checkpoint> checkpoints(String jobId) {
    var url =
        client
            .url("fine_tuning/jobs/" + jobId + "/checkpoints")
            .newBuilder()
            .addQueryParameter("limit", "100")
            .build();
    List<Checkpoint> checkpoints = new ArrayList<>();
    for (JsonNode c : client.get("fine_tuning/jobs/{id}/checkpoints", url).path("data")) {
      Map<String, Double> metrics = new LinkedHashMap<>();
      for (var m : c.path("metrics").properties()) {
        if (m.getValue().isNumber()) {
          metrics.put(m.getKey(), m.getValue().asDouble());
        }
      }
      checkpoints.add(
          new Checkpoint(
              c.path("fine_tuned_model_checkpoint").asText(),
              c.path("step_number").asLong(),
              Map.copyOf(metrics)));
    }
    checkpoints.sort(Comparator.comparingLong(Checkpoint::step));
    return checkpoints;
  }

  static FineTuningJob job(JsonNode job) {
    String status = job.path("status").asText("unknown");
    JsonNode error = job.path("error");
    return new FineTuningJob(
        job.path("id").asText(),
        state(status),
        status,
        job.path("model").asText(null),
        job.path("training_file").asText(null),
        job.path("fine_tuned_model").asText(null),
        job.path("trained_tokens").isNumber() ? job.path("trained_tokens").asLong() : null,
        error.path("message").asText(null),
        error.path("code").asText(null));
  }

  /**
   * validating_files, queued and running are on the way; so is any status added later (pausing
   * exists, a {@code paused} status is not documented yet): the poll goes on rather than failing.
   */
  static State state(String status) {
    return switch (status) {
      case "succeeded" -> State.SUCCEEDED;
      case "failed" -> State.FAILED;
      case "cancelled" -> State.CANCELLED;
      default -> State.RUNNING;
    };
  }
}
