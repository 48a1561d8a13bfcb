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
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tuning jobs ({@code /v1/fine_tuning/jobs}) with the real API's lifecycle: {@code
 * validating_files} → {@code running} → {@code succeeded} | {@code failed} | {@code cancelled}.
 * Jobs train one at a time on a background thread; each is saved as JSON (the job, its events and
 * checkpoints) at every change, so a restarted provider knows every job it accepted and trains the
 * unfinished ones again.
 *
 * <p>Each epoch is reported as a {@code metrics} event, scored on the training examples and, when
 * the job has one, on its validation file. As at OpenAI, the models after the last three epochs are
 * kept as checkpoints ({@code /checkpoints}), each servable as {@code
 * <fine_tuned_model>:ckpt-step-<step>}, where a step is one SGD update: epoch × ⌈examples / batch
 * size⌉, so epoch × examples with the default batch size.
 */
final class FineTuningJobs implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FineTuningJobs.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, String>> METADATA = new TypeReference<>() {};
  private static final TypeReference<List<Event>> EVENTS = new TypeReference<>() {};
  private static final TypeReference<List<FineTuningCheckpoint>> CHECKPOINTS =
      new TypeReference<>() {};

  /**
   * A {@code fine_tuning.job.event}: a {@code message}, or {@code metrics} with the scores in
   * {@code data}. Events saved before type and data existed are messages.
   */
  @JsonPropertyOrder({"object", "id", "created_at", "level", "message", "data", "type"})
  @JsonIgnoreProperties(value = "object", allowGetters = true)
  record Event(
      String id,
      @JsonProperty("created_at") long createdAt,
      String level,
      String message,
      JsonNode data,
      String type) {
    Event {
      data = data == null ? JSON.createObjectNode() : data;
      type = type == null ? "message" : type;
    }

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
  // Oldest first; a job trained again (after a restart) makes them again.
  private final Map<String, List<FineTuningCheckpoint>> checkpointsById = new ConcurrentHashMap<>();
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
    String fileId = fineTuneFile(req, "training_file");
    String validationFileId =
        req.hasNonNull("validation_file") ? fineTuneFile(req, "validation_file") : null;
    String suffix = req.path("suffix").asText("");
    if (suffix.length() > 64) {
      throw new ApiError(400, "invalid_value", "suffix must be at most 64 characters", "suffix");
    }
    JsonNode hp = req.path("method").path("supervised").path("hyperparameters");
    if (hp.isMissingNode()) {
      hp = req.path("hyperparameters");
    }
    int epochs = hp.path("n_epochs").isInt() ? hp.get("n_epochs").asInt() : capacity.defaultEpochs;
    var hyperparameters =
        new FineTuningJob.Hyperparameters(
            epochs, batchSize(hp.path("batch_size")), learningRateMultiplier(hp));
    String id = "ftjob-" + Long.toHexString(sequence.incrementAndGet());
    FineTuningJob job =
        FineTuningJob.created(
            id,
            model,
            System.currentTimeMillis() / 1000,
            fileId,
            validationFileId,
            req.path("seed").asLong(42),
            suffix,
            hyperparameters,
            metadata(req));
    synchronized (this) {
      jobsById.put(id, job);
      created.incrementAndGet();
      eventsById.put(id, new ArrayList<>());
      checkpointsById.put(id, new ArrayList<>());
      event(id, "info", "Created fine-tuning job " + id);
      save(id);
    }
    Future<?> unused = trainer.submit(() -> run(id));
    // The answer shows the job as created, however far training has moved it on since.
    return job;
  }

  /** The id of an uploaded fine-tune file that field {@code param} names; a 400 if it is not. */
  private String fineTuneFile(JsonNode req, String param) throws IOException {
    JsonNode value = req.path(param);
    if (!value.isMissingNode() && !value.isNull() && value.asText("").isBlank()) {
      throw new ApiError(400, "invalid_type", param + " must be a file id", param);
    }
    String fileId = ApiError.requiredText(req, param);
    JsonNode meta;
    try {
      meta = files.meta(fileId);
    } catch (ApiError notFound) {
      throw new ApiError(
          400, "file_not_found", "invalid " + param + ": no uploaded file " + fileId, param);
    }
    if (!meta.path("purpose").asText().equals("fine-tune")) {
      throw new ApiError(
          400,
          "invalid_file_purpose",
          "invalid " + param + ": " + fileId + " was not uploaded with purpose 'fine-tune'",
          param);
    }
    return fileId;
  }

  /** {@code "auto"} (one example per update, as always) or a number from 1 to 256, as the API. */
  private static Object batchSize(JsonNode value) {
    if (value.isMissingNode() || value.isNull() || isAuto(value)) {
      return FineTuningJob.Hyperparameters.AUTO;
    }
    if (!value.isInt() || value.asInt() < 1 || value.asInt() > 256) {
      throw new ApiError(
          400,
          "invalid_value",
          "batch_size must be 'auto' or an integer from 1 to 256, not " + value,
          "batch_size");
    }
    return value.asInt();
  }

  /** Scales the SGD rate: {@code "auto"} or absent is 1.0; more than 0 and at most 10. */
  private static double learningRateMultiplier(JsonNode hp) {
    JsonNode value = hp.path("learning_rate_multiplier");
    if (value.isMissingNode() || value.isNull() || isAuto(value)) {
      return 1.0;
    }
    if (!value.isNumber() || !(value.asDouble() > 0 && value.asDouble() <= 10)) {
      throw new ApiError(
          400,
          "invalid_value",
          "learning_rate_multiplier must be 'auto' or a number above 0 and at most 10, not "
              + value,
          "learning_rate_multiplier");
    }
    return value.asDouble();
  }

  private static boolean isAuto(JsonNode value) {
    return value.isTextual() && value.asText().equals(FineTuningJob.Hyperparameters.AUTO);
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

  /** Newest first, at most {@code limit} (default 20), as the API gives them. */
  synchronized Page<Event> events(String id, Map<String, String> query) {
    find(id);
    List<Event> newestFirst = new ArrayList<>(eventsById.get(id));
    Collections.reverse(newestFirst);
    int limit = Math.max(0, Integer.parseInt(query.getOrDefault("limit", "20")));
    int to = Math.min(newestFirst.size(), limit);
    return new Page<>("list", List.copyOf(newestFirst.subList(0, to)), to < newestFirst.size());
  }

  /** Newest first; {@code after} (a checkpoint id) and {@code limit} (default 10) as in the API. */
  synchronized FineTuningCheckpoint.Page checkpoints(String id, Map<String, String> query) {
    find(id);
    List<FineTuningCheckpoint> newestFirst = new ArrayList<>(checkpointsById.get(id));
    Collections.reverse(newestFirst);
    List<String> ids = newestFirst.stream().map(FineTuningCheckpoint::id).toList();
    String after = query.get("after");
    int from = after == null ? 0 : ids.contains(after) ? ids.indexOf(after) + 1 : ids.size();
    int limit = Math.max(0, Integer.parseInt(query.getOrDefault("limit", "10")));
    int to = Math.min(newestFirst.size(), from + limit);
    return new FineTuningCheckpoint.Page(
        List.copyOf(newestFirst.subList(from, to)), to < newestFirst.size());
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
        List<FineTuningCheckpoint> checkpoints =
            JSON.convertValue(saved.remove("checkpoints"), CHECKPOINTS);
        FineTuningJob job = JSON.treeToValue(saved, FineTuningJob.class);
        jobsById.put(job.id(), job);
        eventsById.put(job.id(), events == null ? new ArrayList<>() : new ArrayList<>(events));
        checkpointsById.put(
            job.id(), checkpoints == null ? new ArrayList<>() : new ArrayList<>(checkpoints));
        if (!job.status().isFinished()) {
          Future<?> unused = trainer.submit(() -> run(job.id()));
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
      List<FineTunedModel.Example> examples = readExamples(job.trainingFile(), "training_file", 10);
      List<FineTunedModel.Example> validation =
          job.validationFile() == null
              ? List.of()
              : readExamples(job.validationFile(), "validation_file", 1);
      String validated =
          "Validated "
              + examples.size()
              + " examples"
              + (validation.isEmpty() ? "" : " and " + validation.size() + " validation examples");
      synchronized (this) {
        checkpointsById.put(id, new ArrayList<>()); // a job trained again makes them again
      }
      if (!transition(id, FineTuningJob::running, validated)) {
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
              validation,
              job.hyperparameters().trainingOptions(),
              job.seed(),
              (scores, snapshot) -> epochDone(id, modelId, scores, snapshot));
      models.save(model);
      long finishedAt = System.currentTimeMillis() / 1000;
      transition(
          id,
          j ->
              j.succeeded(
                  modelId, trainedTokens(examples, j.hyperparameters().nEpochs()), finishedAt),
          "Fine-tuned model " + modelId + " is ready");
    } catch (CancellationException e) {
      // Cancelled while training: the job says so already.
    } catch (ApiError e) {
      fail(id, e.code, e.getMessage(), e.param);
    } catch (Exception e) {
      log.error("Training job {} failed", id, e);
      fail(id, "server_error", e.toString(), null);
    }
  }

  /**
   * Reports the epoch as a metrics event and, for the last {@link FineTuningCheckpoint#KEPT}
   * epochs, saves the model as it stands as a checkpoint: {@code <model>:ckpt-step-<step>}.
   */
  private void epochDone(
      String id,
      String modelId,
      FineTunedModel.EpochScores scores,
      Function<String, FineTunedModel> snapshot) {
    if (jobsById.get(id).status() == Status.CANCELLED) {
      throw new CancellationException(); // stop training: nobody wants this model any more
    }
    FineTuningCheckpoint.Metrics metrics = FineTuningCheckpoint.Metrics.of(scores);
    String message =
        String.format(
            Locale.ROOT,
            "Epoch %d/%d: loss %.4f, accuracy %.3f",
            scores.epoch(),
            scores.epochs(),
            scores.trainLoss(),
            scores.trainAccuracy());
    if (scores.validLoss() != null) {
      message +=
          String.format(
              Locale.ROOT,
              ", valid loss %.4f, valid accuracy %.3f",
              scores.validLoss(),
              scores.validAccuracy());
    }
    ObjectNode data = JSON.valueToTree(metrics);
    data.put("total_steps", scores.totalSteps());
    synchronized (this) {
      event(id, "info", message + " (step " + scores.step() + ")", data, "metrics");
    }
    if (scores.epoch() <= scores.epochs() - FineTuningCheckpoint.KEPT) {
      return;
    }
    String checkpointModel = modelId + ":ckpt-step-" + scores.step();
    try {
      models.save(snapshot.apply(checkpointModel));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    synchronized (this) {
      checkpointsById
          .get(id)
          .add(
              new FineTuningCheckpoint(
                  "ftckpt_" + Long.toHexString(sequence.incrementAndGet()),
                  System.currentTimeMillis() / 1000,
                  checkpointModel,
                  scores.step(),
                  metrics,
                  id));
    }
  }

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

  /**
   * The chat-format SFT file that request field {@code param} named: the last user message and the
   * assistant's answer per line. Faults fail the job with code {@code invalid_<param>}.
   */
  private List<FineTunedModel.Example> readExamples(String fileId, String param, int atLeast)
      throws IOException {
    String code = "invalid_" + param;
    String file = param.replace('_', ' ') + " " + fileId;
    List<FineTunedModel.Example> examples = new ArrayList<>();
    List<String> lines = Files.readAllLines(files.content(fileId));
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      String where = file + ", line " + (i + 1) + ": ";
      JsonNode messages;
      try {
        messages = JSON.readTree(lines.get(i)).get("messages");
      } catch (IOException e) {
        throw new ApiError(400, code, where + "not valid JSON", param);
      }
      if (messages == null || !messages.isArray()) {
        throw new ApiError(400, code, where + "no 'messages' array", param);
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
        throw new ApiError(400, code, where + "needs a user and an assistant message", param);
      }
      examples.add(new FineTunedModel.Example(user, assistant));
    }
    if (examples.size() < atLeast) {
      throw new ApiError(
          400,
          code,
          file + " has " + examples.size() + " examples; at least " + atLeast + " needed",
          param);
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

  private synchronized void fail(String id, String code, String message, String param) {
    FineTuningJob job = jobsById.get(id);
    if (job.status() == Status.CANCELLED) {
      return;
    }
    jobsById.put(id, job.failed(code, message, param));
    event(id, "error", message);
    try {
      save(id);
    } catch (IOException e) {
      log.error("Cannot save job {}", id, e);
    }
  }

  /** Call with this object's lock held. */
  private void event(String id, String level, String message) {
    event(id, level, message, null, "message");
  }

  /** Call with this object's lock held. */
  private void event(String id, String level, String message, JsonNode data, String type) {
    eventsById
        .get(id)
        .add(
            new Event(
                "ftevent-" + Long.toHexString(sequence.incrementAndGet()),
                System.currentTimeMillis() / 1000,
                level,
                message,
                data,
                type));
  }

  /** The job, its events and checkpoints, as one file; call with this object's lock held. */
  private void save(String id) throws IOException {
    ObjectNode saved = JSON.valueToTree(jobsById.get(id));
    saved.set("events", JSON.valueToTree(eventsById.get(id)));
    saved.set("checkpoints", JSON.valueToTree(checkpointsById.get(id)));
    Path tmp = dir.resolve(id + ".json.tmp");
    JSON.writeValue(tmp.toFile(), saved);
    Files.move(tmp, dir.resolve(id + ".json"), StandardCopyOption.REPLACE_EXISTING);
  }
}
