package io.finetune.provider.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tuning jobs ({@code /v1/fine_tuning/jobs}) with the real API's lifecycle: {@code
 * validating_files} → {@code running} → {@code succeeded} | {@code failed} | {@code cancelled}.
 * Jobs train one at a time on a background thread; each is saved as JSON at every change, so a
 * restarted provider knows every job it accepted and trains the unfinished ones again.
 */
final class FineTuningJobs implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FineTuningJobs.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final FileStore files;
  private final ModelStore models;
  private final Map<String, ObjectNode> jobsById = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis());
  private final ExecutorService trainer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "local-provider-trainer");
            t.setDaemon(true);
            return t;
          });

  FineTuningJobs(Path dir, FileStore files, ModelStore models) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.files = files;
    this.models = models;
  }

  ObjectNode create(JsonNode req) throws IOException {
    String model = ApiError.requiredText(req, "model");
    ModelCapacity capacity = ModelCapacity.ofBaseModel(model);
    if (capacity == null) {
      throw new ApiError(
          400,
          "model_not_available",
          "Model '"
              + model
              + "' cannot be fine-tuned here; use local-small, local-medium or local-large",
          "model");
    }
    String fileId = ApiError.requiredText(req, "training_file");
    files.meta(fileId);
    String suffix = req.path("suffix").asText("");
    if (suffix.length() > 64) {
      throw new ApiError(400, "invalid_value", "suffix must be at most 64 characters", "suffix");
    }
    JsonNode hp = req.path("method").path("supervised").path("hyperparameters");
    if (hp.isMissingNode()) {
      hp = req.path("hyperparameters");
    }
    int epochs = hp.path("n_epochs").isInt() ? hp.get("n_epochs").asInt() : capacity.defaultEpochs;
    String id = "ftjob-" + Long.toHexString(sequence.incrementAndGet());
    ObjectNode job = JSON.createObjectNode();
    job.put("id", id);
    job.put("object", "fine_tuning.job");
    job.put("model", model);
    job.put("created_at", System.currentTimeMillis() / 1000);
    job.put("training_file", fileId);
    job.put("status", "validating_files");
    job.putNull("fine_tuned_model");
    job.putNull("error");
    job.put("seed", req.path("seed").asLong(42));
    job.put("suffix", suffix);
    job.putObject("hyperparameters").put("n_epochs", epochs);
    job.set("metadata", req.path("metadata").isObject() ? req.get("metadata") : null);
    job.putArray("events");
    event(job, "info", "Created fine-tuning job " + id);
    save(job);
    // The answer shows the job as created; training may move it on at once.
    ObjectNode created = publicView(job);
    trainer.submit(() -> run(id));
    return created;
  }

  /** Newest first; {@code after}, {@code limit} and {@code metadata[key]=value} as in the API. */
  ObjectNode list(Map<String, String> query) {
    List<ObjectNode> all = new ArrayList<>(jobsById.values());
    all.sort(Comparator.comparing((ObjectNode j) -> j.get("id").asText()).reversed());
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    int limit = Integer.parseInt(query.getOrDefault("limit", "20"));
    String after = query.get("after");
    boolean started = after == null;
    for (ObjectNode j : all) {
      if (!started) {
        started = j.get("id").asText().equals(after);
        continue;
      }
      boolean matches = true;
      for (Map.Entry<String, String> q : query.entrySet()) {
        if (q.getKey().startsWith("metadata[") && q.getKey().endsWith("]")) {
          String key = q.getKey().substring(9, q.getKey().length() - 1);
          matches &= q.getValue().equals(j.path("metadata").path(key).asText(null));
        }
      }
      if (matches && data.size() < limit) {
        data.add(publicView(j));
      }
    }
    out.put("has_more", false);
    return out;
  }

  ObjectNode get(String id) {
    return publicView(find(id));
  }

  ObjectNode events(String id) {
    ObjectNode job = find(id);
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    synchronized (job) {
      out.set("data", job.get("events").deepCopy());
    }
    out.put("has_more", false);
    return out;
  }

  ObjectNode cancel(String id) throws IOException {
    ObjectNode job = find(id);
    synchronized (job) {
      String status = job.get("status").asText();
      if (status.equals("succeeded") || status.equals("failed")) {
        throw new ApiError(400, "invalid_state", "Job " + id + " has already " + status, null);
      }
      job.put("status", "cancelled");
      event(job, "info", "Job cancelled");
      save(job);
    }
    return publicView(job);
  }

  /** Jobs accepted before a restart are known again; unfinished ones are trained again. */
  void recover() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        ObjectNode job = (ObjectNode) JSON.readTree(f.toFile());
        String id = job.get("id").asText();
        jobsById.put(id, job);
        String status = job.get("status").asText();
        if (status.equals("validating_files") || status.equals("running")) {
          trainer.submit(() -> run(id));
        }
      }
    }
  }

  @Override
  public void close() {
    trainer.shutdownNow();
  }

  private ObjectNode find(String id) {
    ObjectNode job = jobsById.get(id);
    if (job == null) {
      throw ApiError.notFound("job_not_found", "No such fine-tuning job: " + id, "id");
    }
    return job;
  }

  private void run(String id) {
    ObjectNode job = jobsById.get(id);
    try {
      List<FineTunedModel.Example> examples = readTrainingFile(job.get("training_file").asText());
      if (!transition(job, "running", "Validated " + examples.size() + " examples")) {
        return;
      }
      String suffix = job.get("suffix").asText();
      String modelId =
          "ft:"
              + job.get("model").asText()
              + ":"
              + (suffix.isEmpty() ? "custom" : suffix)
              + ":"
              + id.substring("ftjob-".length());
      FineTunedModel model =
          FineTunedModel.train(
              modelId,
              ModelCapacity.ofBaseModel(job.get("model").asText()),
              examples,
              job.get("hyperparameters").get("n_epochs").asInt(),
              job.get("seed").asLong(),
              (epoch, epochs, loss) ->
                  event(
                      job,
                      "info",
                      String.format(Locale.ROOT, "Epoch %d/%d: loss %.4f", epoch, epochs, loss)));
      models.save(model);
      synchronized (job) {
        if (job.get("status").asText().equals("cancelled")) {
          return;
        }
        job.put("fine_tuned_model", modelId);
        job.put("trained_tokens", examples.size());
        job.put("finished_at", System.currentTimeMillis() / 1000);
      }
      transition(job, "succeeded", "Fine-tuned model " + modelId + " is ready");
    } catch (ApiError e) {
      fail(job, e.code, e.getMessage());
    } catch (Exception e) {
      log.error("Training job {} failed", id, e);
      fail(job, "server_error", e.toString());
    }
  }

  /** The chat-format SFT file: the last user message and the assistant's answer per line. */
  private List<FineTunedModel.Example> readTrainingFile(String fileId) throws IOException {
    List<FineTunedModel.Example> examples = new ArrayList<>();
    List<String> lines = Files.readAllLines(files.content(fileId));
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      String where = "training file " + fileId + ", line " + (i + 1) + ": ";
      JsonNode messages;
      try {
        messages = JSON.readTree(lines.get(i)).get("messages");
      } catch (IOException e) {
        throw new ApiError(400, "invalid_training_file", where + "not valid JSON", null);
      }
      if (messages == null || !messages.isArray()) {
        throw new ApiError(400, "invalid_training_file", where + "no 'messages' array", null);
      }
      String user = null;
      String assistant = null;
      for (JsonNode m : messages) {
        switch (m.path("role").asText()) {
          case "user" -> user = m.path("content").asText();
          case "assistant" -> assistant = m.path("content").asText();
          default -> {}
        }
      }
      if (user == null || assistant == null) {
        throw new ApiError(
            400, "invalid_training_file", where + "needs a user and an assistant message", null);
      }
      examples.add(new FineTunedModel.Example(user, assistant));
    }
    if (examples.size() < 10) {
      throw new ApiError(
          400,
          "invalid_training_file",
          "training file " + fileId + " has " + examples.size() + " examples; at least 10 needed",
          null);
    }
    return examples;
  }

  private boolean transition(ObjectNode job, String status, String message) throws IOException {
    synchronized (job) {
      if (job.get("status").asText().equals("cancelled")) {
        return false;
      }
      job.put("status", status);
      event(job, "info", message);
      save(job);
      return true;
    }
  }

  private void fail(ObjectNode job, String code, String message) {
    synchronized (job) {
      job.put("status", "failed");
      job.putObject("error").put("code", code).put("message", message).putNull("param");
      event(job, "error", message);
      try {
        save(job);
      } catch (IOException e) {
        log.error("Cannot save job {}", job.get("id"), e);
      }
    }
  }

  private void event(ObjectNode job, String level, String message) {
    synchronized (job) {
      ((ArrayNode) job.get("events"))
          .addObject()
          .put("object", "fine_tuning.job.event")
          .put("id", "ftevent-" + Long.toHexString(sequence.incrementAndGet()))
          .put("created_at", System.currentTimeMillis() / 1000)
          .put("level", level)
          .put("message", message);
    }
  }

  private void save(ObjectNode job) throws IOException {
    String id = job.get("id").asText();
    jobsById.put(id, job);
    Path tmp = dir.resolve(id + ".json.tmp");
    synchronized (job) {
      JSON.writeValue(tmp.toFile(), job);
      Files.move(tmp, dir.resolve(id + ".json"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static ObjectNode publicView(ObjectNode job) {
    synchronized (job) {
      ObjectNode copy = job.deepCopy();
      copy.remove("events");
      return copy;
    }
  }
}
