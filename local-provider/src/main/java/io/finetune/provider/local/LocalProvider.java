package io.finetune.provider.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded, OpenAI-compatible provider on 127.0.0.1 whose models really learn on CPU.
 *
 * <p>Base models {@code local-small}, {@code local-medium} and {@code local-large} answer zero-shot
 * from the system prompt (see {@link PromptFollower}); fine-tuning jobs train a classifier whose
 * capacity grows with the size. Files, jobs and models are kept under a storage folder, so a
 * restarted provider still knows every job it accepted (and finishes the ones it had not).
 */
public final class LocalProvider implements AutoCloseable {
  public static final String BASE_MODEL_PREFIX = "local-";
  private static final Logger log = LoggerFactory.getLogger(LocalProvider.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final Path files;
  private final Path jobs;
  private final Path models;
  private final ExecutorService trainer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "local-provider-trainer");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, ObjectNode> jobsById = new ConcurrentHashMap<>();
  private final Map<String, FineTunedModel> loaded = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis());

  private LocalProvider(HttpServer server, Path storage) throws IOException {
    this.server = server;
    this.files = Files.createDirectories(storage.resolve("files"));
    this.jobs = Files.createDirectories(storage.resolve("jobs"));
    this.models = Files.createDirectories(storage.resolve("models"));
  }

  /** Starts on 127.0.0.1:{@code port} (0 picks a free port), keeping its state under storage. */
  public static LocalProvider start(int port, Path storage) throws IOException {
    // The JDK server writes headers and body separately; with Nagle's algorithm on, every small
    // response then waits for the client's delayed ACK (~40 ms). Read once, at first use.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    LocalProvider provider = new LocalProvider(server, storage);
    server.createContext("/v1/", provider::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    provider.recoverJobs();
    server.start();
    log.info("Local provider listening on {}", provider.baseUrl());
    return provider;
  }

  /** The base URL to configure clients with, e.g. {@code http://127.0.0.1:41234/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  @Override
  public void close() {
    server.stop(0);
    trainer.shutdownNow();
    ((ExecutorService) server.getExecutor()).shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
      String method = ex.getRequestMethod();
      String[] p = path.substring("/v1/".length()).split("/");
      try {
        if (method.equals("GET") && path.equals("/v1/models")) {
          send(ex, 200, listModels());
        } else if (method.equals("POST") && path.equals("/v1/chat/completions")) {
          send(ex, 200, chat(readJson(ex)));
        } else if (method.equals("POST") && path.equals("/v1/files")) {
          send(ex, 200, uploadFile(ex));
        } else if (method.equals("GET") && path.equals("/v1/files")) {
          send(ex, 200, listFiles());
        } else if (method.equals("GET") && p.length == 2 && p[0].equals("files")) {
          send(ex, 200, fileMeta(p[1]));
        } else if (method.equals("POST") && path.equals("/v1/fine_tuning/jobs")) {
          send(ex, 200, createJob(readJson(ex)));
        } else if (method.equals("GET") && path.equals("/v1/fine_tuning/jobs")) {
          send(ex, 200, listJobs(query(ex)));
        } else if (method.equals("GET") && p.length == 3 && p[0].equals("fine_tuning")) {
          send(ex, 200, job(p[2]));
        } else if (method.equals("GET") && p.length == 4 && p[3].equals("events")) {
          send(ex, 200, events(p[2]));
        } else if (method.equals("POST") && p.length == 4 && p[3].equals("cancel")) {
          send(ex, 200, cancel(p[2]));
        } else {
          throw new ApiError(404, "not_found", "Unknown endpoint " + method + " " + path, null);
        }
      } catch (ApiError e) {
        ObjectNode err = JSON.createObjectNode();
        ObjectNode body = err.putObject("error");
        body.put("message", e.getMessage());
        body.put("type", e.status == 404 ? "not_found_error" : "invalid_request_error");
        body.put("param", e.param);
        body.put("code", e.code);
        send(ex, e.status, err);
      } catch (RuntimeException e) {
        log.error("Local provider failed on {} {}", method, path, e);
        ObjectNode err = JSON.createObjectNode();
        err.putObject("error").put("message", "internal error: " + e).put("type", "server_error");
        send(ex, 500, err);
      }
    }
  }

  // ---- models and chat -------------------------------------------------------------------

  private ObjectNode listModels() throws IOException {
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    for (ModelCapacity c : ModelCapacity.values()) {
      data.addObject().put("id", c.baseModelId()).put("object", "model").put("owned_by", "local");
    }
    try (Stream<Path> s = Files.list(models)) {
      s.map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith(".bin"))
          .sorted()
          .forEach(
              n ->
                  data.addObject()
                      .put("id", decodeModelFile(n))
                      .put("object", "model")
                      .put("owned_by", "user"));
    }
    return out;
  }

  private ObjectNode chat(JsonNode req) throws IOException {
    String model = text(req, "model", true);
    JsonNode messages = req.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new ApiError(400, "invalid_value", "'messages' must be a non-empty array", "messages");
    }
    String system = null;
    String user = null;
    for (JsonNode m : messages) {
      String role = m.path("role").asText();
      if (role.equals("system") || role.equals("developer")) {
        system = m.path("content").asText();
      } else if (role.equals("user")) {
        user = m.path("content").asText();
      }
    }
    if (user == null) {
      throw new ApiError(400, "invalid_value", "no message with role 'user'", "messages");
    }
    String answer;
    if (ModelCapacity.ofBaseModel(model) != null) {
      answer = PromptFollower.answer(system, user);
    } else {
      answer = fineTuned(model).answer(user);
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("id", "chatcmpl-" + sequence.incrementAndGet());
    out.put("object", "chat.completion");
    out.put("created", System.currentTimeMillis() / 1000);
    out.put("model", model);
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", answer);
    choice.put("finish_reason", "stop");
    int promptTokens = TextFeatures.tokens((system == null ? "" : system) + " " + user).size();
    int completionTokens = TextFeatures.tokens(answer).size();
    out.putObject("usage")
        .put("prompt_tokens", promptTokens)
        .put("completion_tokens", completionTokens)
        .put("total_tokens", promptTokens + completionTokens);
    return out;
  }

  private FineTunedModel fineTuned(String model) {
    return loaded.computeIfAbsent(
        model,
        m -> {
          Path f = models.resolve(encodeModelFile(m));
          if (!Files.exists(f)) {
            throw new ApiError(
                404, "model_not_found", "The model '" + m + "' does not exist", "model");
          }
          try (InputStream in = new BufferedInputStream(Files.newInputStream(f))) {
            return FineTunedModel.read(in);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private static String encodeModelFile(String model) {
    return model.replace(':', '~') + ".bin";
  }

  private static String decodeModelFile(String file) {
    return file.substring(0, file.length() - ".bin".length()).replace('~', ':');
  }

  // ---- files -----------------------------------------------------------------------------

  private ObjectNode uploadFile(HttpExchange ex) throws IOException {
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.startsWith("multipart/form-data") || !type.contains("boundary=")) {
      throw new ApiError(400, "invalid_request", "expected multipart/form-data", null);
    }
    String boundary = type.substring(type.indexOf("boundary=") + 9).replace("\"", "");
    Map<String, Multipart.Part> parts =
        Multipart.parse(ex.getRequestBody().readAllBytes(), boundary);
    Multipart.Part file = parts.get("file");
    if (file == null) {
      throw new ApiError(400, "invalid_request", "missing form field 'file'", "file");
    }
    String purpose = parts.containsKey("purpose") ? parts.get("purpose").text() : "";
    if (!purpose.equals("fine-tune")) {
      throw new ApiError(400, "invalid_value", "purpose must be 'fine-tune'", "purpose");
    }
    String id = "file-" + Long.toHexString(sequence.incrementAndGet());
    Files.write(files.resolve(id + ".jsonl"), file.bytes());
    ObjectNode meta = JSON.createObjectNode();
    meta.put("id", id);
    meta.put("object", "file");
    meta.put("bytes", file.bytes().length);
    meta.put("created_at", System.currentTimeMillis() / 1000);
    meta.put("filename", file.filename() == null ? "upload.jsonl" : file.filename());
    meta.put("purpose", purpose);
    meta.put("status", "processed");
    JSON.writeValue(files.resolve(id + ".json").toFile(), meta);
    return meta;
  }

  private ObjectNode listFiles() throws IOException {
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    try (Stream<Path> s = Files.list(files)) {
      for (Path f : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        data.add(JSON.readTree(f.toFile()));
      }
    }
    return out;
  }

  private JsonNode fileMeta(String id) throws IOException {
    Path f = files.resolve(id + ".json");
    if (!id.matches("file-[0-9a-f]+") || !Files.exists(f)) {
      throw new ApiError(404, "file_not_found", "No such file: " + id, "file_id");
    }
    return JSON.readTree(f.toFile());
  }

  // ---- fine-tuning jobs ------------------------------------------------------------------

  private ObjectNode createJob(JsonNode req) throws IOException {
    String model = text(req, "model", true);
    ModelCapacity capacity = ModelCapacity.ofBaseModel(model);
    if (capacity == null) {
      throw new ApiError(
          400,
          "model_not_available",
          "Model '"
              + model
              + "' cannot be fine-tuned here; use local-small, local-medium or"
              + " local-large",
          "model");
    }
    String fileId = text(req, "training_file", true);
    fileMeta(fileId);
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
    trainer.submit(() -> runJob(id));
    return publicView(job);
  }

  private ObjectNode listJobs(Map<String, String> query) {
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

  private ObjectNode job(String id) {
    ObjectNode job = jobsById.get(id);
    if (job == null) {
      throw new ApiError(404, "job_not_found", "No such fine-tuning job: " + id, "id");
    }
    return publicView(job);
  }

  private ObjectNode events(String id) {
    job(id);
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    out.set("data", jobsById.get(id).get("events").deepCopy());
    out.put("has_more", false);
    return out;
  }

  private ObjectNode cancel(String id) throws IOException {
    ObjectNode job = jobsById.get(id);
    if (job == null) {
      throw new ApiError(404, "job_not_found", "No such fine-tuning job: " + id, "id");
    }
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

  private void runJob(String id) {
    ObjectNode job = jobsById.get(id);
    try {
      List<FineTunedModel.Example> examples = readTrainingFile(job.get("training_file").asText());
      if (!transition(job, "running", "Validated " + examples.size() + " examples")) {
        return;
      }
      ModelCapacity capacity = ModelCapacity.ofBaseModel(job.get("model").asText());
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
              capacity,
              examples,
              job.get("hyperparameters").get("n_epochs").asInt(),
              job.get("seed").asLong(),
              (epoch, epochs, loss) ->
                  event(job, "info", String.format("Epoch %d/%d: loss %.4f", epoch, epochs, loss)));
      Path tmp = models.resolve(encodeModelFile(modelId) + ".tmp");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
        model.write(out);
      }
      Files.move(tmp, models.resolve(encodeModelFile(modelId)));
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

  private List<FineTunedModel.Example> readTrainingFile(String fileId) throws IOException {
    List<FineTunedModel.Example> examples = new ArrayList<>();
    List<String> lines = Files.readAllLines(files.resolve(fileId + ".jsonl"));
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
          .put("id", "ftevent-" + sequence.incrementAndGet())
          .put("created_at", System.currentTimeMillis() / 1000)
          .put("level", level)
          .put("message", message);
    }
  }

  private void save(ObjectNode job) throws IOException {
    String id = job.get("id").asText();
    jobsById.put(id, job);
    Path tmp = jobs.resolve(id + ".json.tmp");
    synchronized (job) {
      JSON.writeValue(tmp.toFile(), job);
    }
    Files.move(tmp, jobs.resolve(id + ".json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** Jobs accepted before a restart are known again; unfinished ones are trained again. */
  private void recoverJobs() throws IOException {
    try (Stream<Path> s = Files.list(jobs)) {
      for (Path f : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        ObjectNode job = (ObjectNode) JSON.readTree(f.toFile());
        String id = job.get("id").asText();
        jobsById.put(id, job);
        String status = job.get("status").asText();
        if (status.equals("validating_files") || status.equals("running")) {
          trainer.submit(() -> runJob(id));
        }
      }
    }
  }

  private static ObjectNode publicView(ObjectNode job) {
    synchronized (job) {
      ObjectNode copy = job.deepCopy();
      copy.remove("events");
      return copy;
    }
  }

  // ---- HTTP plumbing ---------------------------------------------------------------------

  private static JsonNode readJson(HttpExchange ex) {
    try {
      JsonNode node = JSON.readTree(ex.getRequestBody());
      if (node == null || !node.isObject()) {
        throw new ApiError(400, "invalid_json", "request body must be a JSON object", null);
      }
      return node;
    } catch (IOException e) {
      throw new ApiError(400, "invalid_json", "request body is not valid JSON", null);
    }
  }

  private static String text(JsonNode req, String field, boolean required) {
    JsonNode v = req.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      if (required) {
        throw new ApiError(400, "missing_required_parameter", "'" + field + "' is required", field);
      }
      return null;
    }
    return v.asText();
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> out = new LinkedHashMap<>();
    String q = ex.getRequestURI().getRawQuery();
    if (q != null) {
      for (String kv : q.split("&")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          out.put(
              URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  private static final class ApiError extends RuntimeException {
    final int status;
    final String code;
    final String param;

    ApiError(int status, String code, String message, String param) {
      super(message);
      this.status = status;
      this.code = code;
      this.param = param;
    }
  }
}
