package io.finetune.activities.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.store.ArtifactStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Together AI's fine-tuning API, as its reference documents it (https://docs.together.ai/reference,
 * "Files" and "Fine-tuning"; the OpenAPI spec in github.com/togethercomputer/openapi): files are
 * uploaded to {@code /files/upload}, jobs live under {@code /fine-tunes}.
 *
 * <p>A Together job has no metadata to carry our run key, and its list cannot be filtered. The key
 * goes into the model suffix instead, as a hash ({@link #runTag}): {@code <name>-<12 hex digits>},
 * within the 40 characters a suffix may have. {@link #findJobs} lists the jobs and keeps those
 * whose suffix (or output model name) ends with that tag; the activity then reuses one only when
 * its training file and base model are the request's too. 48 bits of hash make a clash between two
 * runs of one account negligible, and a clash would still have to match file and model.
 */
final class TogetherFineTuning implements FineTuningApi {
  /**
   * Together's documented default learning rate (an absolute rate): a sweep's multiplier scales it,
   * as OpenAI's {@code learning_rate_multiplier} scales OpenAI's default.
   */
  static final double DEFAULT_LEARNING_RATE = 1e-5;

  static final int MAX_SUFFIX = 40;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProviderClient client;

  TogetherFineTuning(ProviderClient client) {
    this.client = client;
  }

  @Override
  public TrainingFileRules trainingFileRules() {
    return TrainingFileRules.TOGETHER;
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
            "files/upload",
            client.url("files/upload"),
            Map.of("purpose", "fine-tune", "file_name", filename, "file_type", "jsonl"),
            "file",
            filename,
            file)
        .path("id")
        .asText();
  }

  /**
   * LoRA is Together's default training type and what its serverless inference serves, so no {@code
   * training_type} is sent; a {@code learning_rate} (an absolute rate there, a multiplier at
   * OpenAI) only for a sweep's multiplier, times the documented default. A checkpoint per epoch, so
   * that a later change can pick the best of them.
   */
  @Override
  public FineTuningJob create(JobRequest r) {
    ObjectNode body = JSON.createObjectNode();
    body.put("training_file", r.trainingFile());
    if (r.validationFile() != null) {
      body.put("validation_file", r.validationFile());
    }
    body.put("model", r.baseModel());
    body.put("suffix", suffix(r.suffix(), r.runKey()));
    body.put("random_seed", r.seed());
    if (r.epochs() != null) {
      body.put("n_epochs", r.epochs());
      body.put("n_checkpoints", r.epochs());
    }
    if (r.learningRateMultiplier() != null) {
      body.put("learning_rate", DEFAULT_LEARNING_RATE * r.learningRateMultiplier());
    }
    return job(client.postJson("fine-tunes", client.url("fine-tunes"), body));
  }

  @Override
  public FineTuningJob get(String jobId) {
    return job(client.get("fine-tunes/{id}", client.url("fine-tunes/" + jobId)));
  }

  /** The events endpoint returns them all, oldest first: sorted newest first here. */
  @Override
  public List<String> latestEvents(String jobId, int limit) {
    JsonNode data =
        client
            .get("fine-tunes/{id}/events", client.url("fine-tunes/" + jobId + "/events"))
            .path("data");
    return newestFirst(data).stream()
        .filter(e -> e.hasNonNull("message"))
        .limit(limit)
        .map(e -> e.path("message").asText())
        .toList();
  }

  @Override
  public void cancel(String jobId) {
    client.postJson(
        "fine-tunes/{id}/cancel",
        client.url("fine-tunes/" + jobId + "/cancel"),
        JSON.createObjectNode());
  }

  @Override
  public List<FineTuningJob> findJobs(String runKey) {
    String tag = "-" + runTag(runKey);
    List<FineTuningJob> jobs = new ArrayList<>();
    for (JsonNode job : client.get("fine-tunes", client.url("fine-tunes")).path("data")) {
      String suffix = job.path("suffix").asText("").toLowerCase(Locale.ROOT);
      String output = job.path("model_output_name").asText("").toLowerCase(Locale.ROOT);
      // Together may append its own id to the output name: the tag ends the suffix, not the name.
      if (("-" + suffix).endsWith(tag) || output.endsWith(tag) || output.contains(tag + "-")) {
        jobs.add(job(job));
      }
    }
    return jobs;
  }

  /**
   * A checkpoint is named as Together's own client names it, for {@code from_checkpoint} and
   * downloads: {@code <job id>:<step>} for an intermediate one, the job id for the final one.
   * Together records no metrics with a checkpoint.
   */
  /** Together's checkpoints are downloads: serving one needs a dedicated endpoint. */
  @Override
  public boolean servesCheckpoints() {
    return false;
  }

  @Override
  public List<Checkpoint> checkpoints(String jobId) {
    List<Checkpoint> checkpoints = new ArrayList<>();
    JsonNode data =
        client
            .get("fine-tunes/{id}/checkpoints", client.url("fine-tunes/" + jobId + "/checkpoints"))
            .path("data");
    for (JsonNode c : data) {
      long step = c.path("step").asLong();
      boolean intermediate =
          c.path("checkpoint_type").asText("").toLowerCase(Locale.ROOT).contains("intermediate");
      checkpoints.add(new Checkpoint(intermediate ? jobId + ":" + step : jobId, step, Map.of()));
    }
    checkpoints.sort(Comparator.comparingLong(Checkpoint::step));
    return checkpoints;
  }

  /** The run key's tag: 12 hex digits of its SHA-256. */
  static String runTag(String runKey) {
    return ArtifactStore.sha256Hex(runKey.getBytes(StandardCharsets.UTF_8)).substring(0, 12);
  }

  /**
   * {@code name}, in the characters a model name takes and shortened to leave room, then the run's
   * tag: at most {@link #MAX_SUFFIX} characters.
   */
  static String suffix(String name, String runKey) {
    String tag = runTag(runKey);
    String clean =
        (name == null ? "" : name).replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^-+|-+$", "");
    int room = MAX_SUFFIX - tag.length() - 1;
    if (clean.length() > room) {
      clean = clean.substring(0, room).replaceAll("-+$", "");
    }
    return clean.isEmpty() ? tag : clean + "-" + tag;
  }

  static FineTuningJob job(JsonNode job) {
    String status = job.path("status").asText("unknown");
    State state = state(status);
    return new FineTuningJob(
        job.path("id").asText(),
        state,
        status,
        job.path("model").asText(null),
        job.path("training_file").asText(null),
        job.path("model_output_name").asText(null),
        job.path("token_count").isNumber() ? job.path("token_count").asLong() : null,
        state == State.FAILED ? errorMessage(job.path("events")) : null,
        state == State.FAILED ? status : null);
  }

  /**
   * Together's documented statuses: pending, queued, running, compressing, uploading and
   * cancel_requested are on the way; completed, cancelled and error are final, and so is user_error
   * (which its evaluation API documents, and which a bad file would earn). Any other status, added
   * later, keeps the poll going rather than failing it.
   */
  static State state(String status) {
    return switch (status) {
      case "completed" -> State.SUCCEEDED;
      case "error", "user_error" -> State.FAILED;
      case "cancelled" -> State.CANCELLED;
      default -> State.RUNNING;
    };
  }

  /** A failed job says why only in its events: the newest error among them. */
  private static String errorMessage(JsonNode events) {
    return newestFirst(events).stream()
        .filter(
            e ->
                e.path("level").asText("").equalsIgnoreCase("error")
                    || e.path("type").asText("").equalsIgnoreCase("job_error"))
        .map(e -> e.path("message").asText(null))
        .filter(m -> m != null && !m.isBlank())
        .findFirst()
        .orElse(null);
  }

  /** Events newest first: by {@code created_at} (ISO-8601), the later in the list on a tie. */
  private static List<JsonNode> newestFirst(JsonNode events) {
    List<JsonNode> list = new ArrayList<>();
    events.forEach(e -> list.add(0, e));
    // A stable sort: on equal times the later in the list stays first.
    list.sort(Comparator.comparing((JsonNode e) -> e.path("created_at").asText("")).reversed());
    return list;
  }
}
