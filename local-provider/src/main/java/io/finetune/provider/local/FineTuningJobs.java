package io.finetune.provider.local;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.provider.local.FineTuningJob.Status;
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
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tuning jobs ({@code /v1/fine_tuning/jobs}) with the real API's lifecycle: {@code
 * validating_files} → {@code running} → {@code succeeded} | {@code failed} | {@code cancelled}.
 * Jobs train one at a time on a background thread; each is saved as JSON (the job and its events)
 * at every change, so a restarted provider knows every job it accepted and trains the unfinished
 * ones again.
 */
final class FineTuningJobs implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FineTuningJobs.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> METADATA = new TypeReference<>() {};
  private static final TypeReference<List<Event>> EVENTS = new TypeReference<>() {};

  /** A {@code fine_tuning.job.event}. */
  @JsonPropertyOrder({"object", "id", "created_at", "level", "message"})
  @JsonIgnoreProperties(value = "object", allowGetters = true)
  record Event(
      String id, @JsonProperty("created_at") long createdAt, String level, String message) {
    @JsonProperty("object")
    String object() {
      return "fine_tuning.job.event";
    }
  }

  /** A list answer: {@code {"object": "list", "data": [...], "has_more": false}}. */
  record Page<T>(String object, List<T> data, @JsonProperty("has_more") boolean hasMore) {
    Page(List<T> data) {
      this("list", data, false);
    }
  }

  private final AtomicLong created = new AtomicLong();
  private final Path dir;
  private final FileStore files;
  private final ModelStore models;
  // Each job is replaced, never changed; changes and saves happen under this object's lock.
  private final Map<String, FineTuningJob> jobsById = new ConcurrentHashMap<>();
  private final Map<String, List<Event>> eventsById = new ConcurrentHashMap<>();
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

  FineTuningJob create(JsonNode req) throws IOException {
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
    FineTuningJob job =
        FineTuningJob.created(
            id,
            model,
            System.currentTimeMillis() / 1000,
            fileId,
            req.path("seed").asLong(42),
            suffix,
            epochs,
            metadata(req));
    synchronized (this) {
      jobsById.put(id, job);
      created.incrementAndGet();
      eventsById.put(id, new ArrayList<>());
      event(id, "info", "Created fine-tuning job " + id);
      save(id);
    }
    trainer.submit(() -> run(id));
    // The answer shows the job as created, however far training has moved it on since.
    return job;
  }

  private static Map<String, String> metadata(JsonNode req) {
    JsonNode metadata = req.path("metadata");
    if (!metadata.isObject()) {
      return null;
    }
    try {
      return JSON.convertValue(metadata, METADATA);
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, "invalid_value", "metadata values must be strings", "metadata");
    }
  }

  /** Newest first; {@code after}, {@code limit} and {@code metadata[key]=value} as in the API. */
  Page<FineTuningJob> list(Map<String, String> query) {
    List<FineTuningJob> all = new ArrayList<>(jobsById.values());
    all.sort(Comparator.comparing(FineTuningJob::id).reversed());
    List<FineTuningJob> data = new ArrayList<>();
    int limit = Integer.parseInt(query.getOrDefault("limit", "20"));
    String after = query.get("after");
    boolean started = after == null;
    for (FineTuningJob j : all) {
      if (!started) {
        started = j.id().equals(after);
        continue;
      }
      boolean matches = true;
      for (Map.Entry<String, String> q : query.entrySet()) {
        if (q.getKey().startsWith("metadata[") && q.getKey().endsWith("]")) {
          String key = q.getKey().substring(9, q.getKey().length() - 1);
          matches &= j.metadata() != null && q.getValue().equals(j.metadata().get(key));
        }
      }
      if (matches && data.size() < limit) {
        data.add(j);
      }
    }
    return new Page<>(data);
  }

  FineTuningJob get(String id) {
    return find(id);
  }

  synchronized Page<Event> events(String id) {
    find(id);
    return new Page<>(List.copyOf(eventsById.get(id)));
  }

  synchronized FineTuningJob cancel(String id) throws IOException {
    FineTuningJob job = find(id);
    if (job.status() == Status.SUCCEEDED || job.status() == Status.FAILED) {
      throw new ApiError(
          400, "invalid_state", "Job " + id + " has already " + job.status().apiValue(), null);
    }
    jobsById.put(id, job.cancelled());
    event(id, "info", "Job cancelled");
    save(id);
    return jobsById.get(id);
  }

  /** Jobs accepted before a restart are known again; unfinished ones are trained again. */
  void recover() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      // A save cut short by a kill: the job's previous .json is still whole.
      for (Path f : s.filter(f -> f.toString().endsWith(".json.tmp")).toList()) {
        Files.deleteIfExists(f);
      }
    }
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        ObjectNode saved = (ObjectNode) JSON.readTree(f.toFile());
        List<Event> events = JSON.convertValue(saved.remove("events"), EVENTS);
        FineTuningJob job = JSON.treeToValue(saved, FineTuningJob.class);
        jobsById.put(job.id(), job);
        eventsById.put(job.id(), events == null ? new ArrayList<>() : new ArrayList<>(events));
        if (!job.status().isFinished()) {
          trainer.submit(() -> run(job.id()));
        }
      }
    }
  }

  @Override
  public void close() {
    trainer.shutdownNow();
  }

  private FineTuningJob find(String id) {
    FineTuningJob job = jobsById.get(id);
    if (job == null) {
      throw ApiError.notFound("job_not_found", "No such fine-tuning job: " + id, "id");
    }
    return job;
  }

  private void run(String id) {
    FineTuningJob job = jobsById.get(id);
    try {
      List<FineTunedModel.Example> examples = readTrainingFile(job.trainingFile());
      if (!transition(id, FineTuningJob::running, "Validated " + examples.size() + " examples")) {
        return;
      }
      String modelId =
          "ft:"
              + job.model()
              + ":"
              + (job.suffix().isEmpty() ? "custom" : job.suffix())
              + ":"
              + id.substring("ftjob-".length());
      FineTunedModel model =
          FineTunedModel.train(
              modelId,
              ModelCapacity.ofBaseModel(job.model()),
              examples,
              job.hyperparameters().nEpochs(),
              job.seed(),
              (epoch, epochs, loss) -> {
                synchronized (this) {
                  event(
                      id,
                      "info",
                      String.format(Locale.ROOT, "Epoch %d/%d: loss %.4f", epoch, epochs, loss));
                }
              });
      models.save(model);
      long finishedAt = System.currentTimeMillis() / 1000;
      transition(
          id,
          j ->
              j.succeeded(
                  modelId, trainedTokens(examples, j.hyperparameters().nEpochs()), finishedAt),
          "Fine-tuned model " + modelId + " is ready");
    } catch (ApiError e) {
      fail(id, e.code, e.getMessage());
    } catch (Exception e) {
      log.error("Training job {} failed", id, e);
      fail(id, "server_error", e.toString());
    }
  }

  /** The chat-format SFT file: the last user message and the assistant's answer per line. */
  /** Tokens seen in training, as OpenAI bills them: every example's tokens, once per epoch. */
  static int trainedTokens(List<FineTunedModel.Example> examples, int epochs) {
    long perEpoch =
        examples.stream()
            .mapToLong(e -> TextFeatures.tokens(e.input() + " " + e.answer()).size())
            .sum();
    return (int) Math.min(Integer.MAX_VALUE, perEpoch * Math.max(1, epochs));
  }

  /** Jobs this provider accepted since it started (not counting those it recovered). */
  public long jobsCreated() {
    return created.get();
  }

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

  /** Moves the job on unless it was cancelled meanwhile; false if it was. */
  private synchronized boolean transition(
      String id, UnaryOperator<FineTuningJob> step, String message) throws IOException {
    FineTuningJob job = jobsById.get(id);
    if (job.status() == Status.CANCELLED) {
      return false;
    }
    jobsById.put(id, step.apply(job));
    event(id, "info", message);
    save(id);
    return true;
  }

  private synchronized void fail(String id, String code, String message) {
    FineTuningJob job = jobsById.get(id);
    if (job.status() == Status.CANCELLED) {
      return;
    }
    jobsById.put(id, job.failed(code, message));
    event(id, "error", message);
    try {
      save(id);
    } catch (IOException e) {
      log.error("Cannot save job {}", id, e);
    }
  }

  /** Call with this object's lock held. */
  private void event(String id, String level, String message) {
    eventsById
        .get(id)
        .add(
            new Event(
                "ftevent-" + Long.toHexString(sequence.incrementAndGet()),
                System.currentTimeMillis() / 1000,
                level,
                message));
  }

  /** The job and its events, as one file; call with this object's lock held. */
  private void save(String id) throws IOException {
    ObjectNode saved = JSON.valueToTree(jobsById.get(id));
    saved.set("events", JSON.valueToTree(eventsById.get(id)));
    Path tmp = dir.resolve(id + ".json.tmp");
    JSON.writeValue(tmp.toFile(), saved);
    Files.move(tmp, dir.resolve(id + ".json"), StandardCopyOption.REPLACE_EXISTING);
  }
}
