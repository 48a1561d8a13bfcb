package io.finetune.provider.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An embedded, OpenAI-compatible provider on 127.0.0.1 whose models really learn on CPU.
 *
 * <p>Base models {@code local-small}, {@code local-medium} and {@code local-large} answer zero-shot
 * from the system prompt (see {@link PromptFollower}), {@code local-judge} compares two answers
 * pairwise (see {@link LocalJudge}); fine-tuning jobs train a classifier whose capacity grows with
 * the size. Files, jobs and models are kept under a storage folder, so a restarted provider still
 * knows every job it accepted (and finishes the ones it had not).
 */
public final class LocalProvider implements AutoCloseable {
  /** How long an injected 429 asks a client to wait, in {@code retry-after-ms}. */
  static final int RETRY_AFTER_MILLIS = 200;

  public static final String BASE_MODEL_PREFIX = "local-";
  private static final Logger log = LoggerFactory.getLogger(LocalProvider.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final FileStore files;
  private final ModelStore models;
  private final FineTuningJobs jobs;
  private final AtomicLong completions = new AtomicLong();
  private final Chaos chaos;
  private final ServingLatency latency;
  private final LocalJudge judge;
  private final List<Chaos.Fault> faultKinds;
  private final Random faultDraws;
  private final Map<Chaos.Fault, AtomicLong> faultCounts = new EnumMap<>(Chaos.Fault.class);

  /** The key every request must carry as {@code Authorization: Bearer <key>}; null: none. */
  private final byte[] requiredKey;

  private LocalProvider(
      HttpServer server,
      Path storage,
      Chaos chaos,
      ServingLatency latency,
      double judgeBias,
      String requiredKey)
      throws IOException {
    this.server = server;
    this.requiredKey =
        requiredKey == null || requiredKey.isEmpty()
            ? null
            : requiredKey.getBytes(StandardCharsets.UTF_8);
    this.judge = new LocalJudge(judgeBias);
    this.chaos = chaos;
    this.latency = latency;
    this.faultKinds = new ArrayList<>(EnumSet.copyOf(chaos.kinds()));
    this.faultDraws = new Random(chaos.seed());
    for (Chaos.Fault f : Chaos.Fault.values()) {
      faultCounts.put(f, new AtomicLong());
    }
    this.files = new FileStore(storage.resolve("files"));
    this.models = new ModelStore(storage.resolve("models"));
    this.jobs = new FineTuningJobs(storage.resolve("jobs"), files, models);
  }

  /** Starts on 127.0.0.1:{@code port} (0 picks a free port), keeping its state under storage. */
  public static LocalProvider start(int port, Path storage) throws IOException {
    return start(port, storage, Chaos.NONE);
  }

  /**
   * Starts on 127.0.0.1:{@code port} (0 picks a free port), keeping its state under storage, and
   * injecting the faults and latency of {@code chaos} into every endpoint.
   */
  public static LocalProvider start(int port, Path storage, Chaos chaos) throws IOException {
    return start(port, storage, chaos, ServingLatency.DEFAULT);
  }

  /**
   * As {@link #start(int, Path, Chaos)}, with models answering after {@code latency} for their
   * size.
   */
  public static LocalProvider start(int port, Path storage, Chaos chaos, ServingLatency latency)
      throws IOException {
    return start(port, storage, chaos, latency, 0);
  }

  /**
   * As {@link #start(int, Path, Chaos, ServingLatency)}, with {@code local-judge} answering "A" in
   * {@code judgePositionBias} (0 to 1) of its judgments whatever the answers (see {@link
   * LocalJudge}).
   */
  public static LocalProvider start(
      int port, Path storage, Chaos chaos, ServingLatency latency, double judgePositionBias)
      throws IOException {
    return start(port, storage, chaos, latency, judgePositionBias, null);
  }

  /**
   * As {@link #start(int, Path, Chaos, ServingLatency, double)}, answering only requests that carry
   * {@code Authorization: Bearer <requiredKey>}, as a real provider does (401 otherwise, the key
   * sent never echoed); null or empty: every request is answered.
   */
  public static LocalProvider start(
      int port,
      Path storage,
      Chaos chaos,
      ServingLatency latency,
      double judgePositionBias,
      String requiredKey)
      throws IOException {
    // The JDK server writes headers and body separately; with Nagle's algorithm on, every small
    // response then waits for the client's delayed ACK (~40 ms). Read once, at first use.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    LocalProvider provider =
        new LocalProvider(
            server,
            storage,
            chaos == null ? Chaos.NONE : chaos,
            latency == null ? ServingLatency.DEFAULT : latency,
            judgePositionBias,
            requiredKey);
    server.createContext("/v1/", provider::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    provider.jobs.recover();
    server.start();
    if (provider.chaos.enabled()) {
      log.info(
          "Local provider listening on {} with injected faults at rate {} (seed {}) among {},"
              + " added latency {}",
          provider.baseUrl(),
          provider.chaos.rate(),
          provider.chaos.seed(),
          provider.faultKinds,
          provider.chaos.addedLatency());
    } else {
      log.info("Local provider listening on {}", provider.baseUrl());
    }
    if (provider.requiredKey != null) {
      log.info("Local provider answers only requests with its API key (a bearer token)");
    }
    return provider;
  }

  /** The faults injected so far, by kind (every kind present, 0 when none). */
  public Map<Chaos.Fault, Long> faultsInjected() {
    Map<Chaos.Fault, Long> out = new EnumMap<>(Chaos.Fault.class);
    for (Chaos.Fault f : Chaos.Fault.values()) {
      out.put(f, faultCounts.get(f).get());
    }
    return Collections.unmodifiableMap(out);
  }

  /** Fine-tuning jobs created since this provider started. */
  public long jobsCreated() {
    return jobs.jobsCreated();
  }

  /** How many faults were injected so far, of all kinds. */
  public long faultsInjectedTotal() {
    long n = 0;
    for (AtomicLong count : faultCounts.values()) {
      n += count.get();
    }
    return n;
  }

  /** The base URL to configure clients with, e.g. {@code http://127.0.0.1:41234/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  @Override
  public void close() {
    server.stop(0);
    jobs.close();
    ((ExecutorService) server.getExecutor()).shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    if (requiredKey != null && !authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
      try (ex) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        // As OpenAI answers, but without any part of the key that was sent.
        send(
            ex,
            401,
            error(
                "Incorrect or missing API key: send 'Authorization: Bearer <key>' with the key"
                    + " this provider was started with.",
                "invalid_request_error",
                "invalid_api_key"));
      }
      return;
    }
    // Decided before anything is read or done, so a faulted request has had no effect.
    Chaos.Fault fault = drawFault();
    if (!chaos.addedLatency().isZero()) {
      try {
        Thread.sleep(
            chaos.addedLatency().toMillis(), chaos.addedLatency().toNanosPart() % 1_000_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ex.close();
        return;
      }
    }
    if (fault != null) {
      faultCounts.get(fault).incrementAndGet();
      injectFault(ex, fault);
      return;
    }
    try (ex) {
      String path = ex.getRequestURI().getPath().replaceAll("/+$", "");
      String method = ex.getRequestMethod();
      String[] p = path.substring("/v1/".length()).split("/", -1);
      try {
        if (method.equals("GET") && path.equals("/v1/models")) {
          send(ex, 200, listModels());
        } else if (method.equals("POST") && path.equals("/v1/chat/completions")) {
          send(ex, 200, chat(readJson(ex)));
        } else if (method.equals("POST") && path.equals("/v1/files")) {
          send(ex, 200, uploadFile(ex));
        } else if (method.equals("GET") && path.equals("/v1/files")) {
          send(ex, 200, files.list());
        } else if (method.equals("GET") && p.length == 2 && p[0].equals("files")) {
          send(ex, 200, files.meta(p[1]));
        } else if (method.equals("POST") && path.equals("/v1/fine_tuning/jobs")) {
          send(ex, 200, jobs.create(readJson(ex)));
        } else if (method.equals("GET") && path.equals("/v1/fine_tuning/jobs")) {
          send(ex, 200, jobs.list(query(ex)));
        } else if (method.equals("GET") && p.length == 3 && p[0].equals("fine_tuning")) {
          send(ex, 200, jobs.get(p[2]));
        } else if (method.equals("GET") && p.length == 4 && p[3].equals("events")) {
          send(ex, 200, jobs.events(p[2], query(ex)));
        } else if (method.equals("GET") && p.length == 4 && p[3].equals("checkpoints")) {
          send(ex, 200, jobs.checkpoints(p[2], query(ex)));
        } else if (method.equals("POST") && p.length == 4 && p[3].equals("cancel")) {
          send(ex, 200, jobs.cancel(p[2]));
        } else {
          throw ApiError.notFound("not_found", "Unknown endpoint " + method + " " + path, null);
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

  /** Whether {@code header} is {@code Bearer <the required key>}, compared in constant time. */
  private boolean authorized(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] sent = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(sent, requiredKey);
  }

  /**
   * The fault for the next request, or null. One uniform draw u decides both: a fault when u is
   * below the rate, and then which one from u / rate, itself uniform (two consecutive draws of
   * java.util.Random are correlated enough to favour one kind).
   */
  private Chaos.Fault drawFault() {
    if (chaos.rate() <= 0) {
      return null;
    }
    double u;
    synchronized (faultDraws) {
      u = faultDraws.nextDouble();
    }
    if (u >= chaos.rate()) {
      return null;
    }
    int which = (int) (u / chaos.rate() * faultKinds.size());
    return faultKinds.get(Math.min(which, faultKinds.size() - 1));
  }

  private static void injectFault(HttpExchange ex, Chaos.Fault fault) throws IOException {
    log.debug(
        "Local provider injects {} into {} {}",
        fault,
        ex.getRequestMethod(),
        ex.getRequestURI().getPath());
    switch (fault) {
      case RATE_LIMITED -> {
        try (ex) {
          // As OpenAI does: whole seconds for every client, milliseconds for those that read them.
          ex.getResponseHeaders().set("Retry-After", "1");
          ex.getResponseHeaders().set("retry-after-ms", String.valueOf(RETRY_AFTER_MILLIS));
          send(
              ex,
              429,
              error(
                  "Rate limit reached for requests (injected by the local provider)."
                      + " Please try again in 1s.",
                  "rate_limit_exceeded",
                  "rate_limit_exceeded"));
        }
      }
      case SERVER_ERROR -> {
        try (ex) {
          send(
              ex,
              500,
              error(
                  "The server had an error while processing your request (injected by the local"
                      + " provider).",
                  "server_error",
                  null));
        }
      }
      case UNAVAILABLE -> {
        try (ex) {
          send(
              ex,
              503,
              error(
                  "The engine is currently overloaded, please try again later (injected by the"
                      + " local provider).",
                  "server_error",
                  "service_unavailable"));
        }
      }
      case CONNECTION_RESET ->
          // Closing an exchange before its response headers were sent closes the connection: the
          // client reads no status line at all ("unexpected end of stream").
          ex.close();
    }
  }

  private static ObjectNode error(String message, String type, String code) {
    ObjectNode err = JSON.createObjectNode();
    ObjectNode body = err.putObject("error");
    body.put("message", message);
    body.put("type", type);
    body.putNull("param");
    body.put("code", code);
    return err;
  }

  private ObjectNode listModels() throws IOException {
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    for (ModelCapacity c : ModelCapacity.values()) {
      data.addObject().put("id", c.baseModelId()).put("object", "model").put("owned_by", "local");
    }
    data.addObject().put("id", LocalJudge.MODEL).put("object", "model").put("owned_by", "local");
    for (String id : models.ids()) {
      data.addObject().put("id", id).put("object", "model").put("owned_by", "user");
    }
    return out;
  }

  private ObjectNode chat(JsonNode req) {
    String model = ApiError.requiredText(req, "model");
    JsonNode messages = req.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new ApiError(400, "invalid_value", "'messages' must be a non-empty array", "messages");
    }
    String system = null;
    String user = null;
    // Every message is read by the model (its prompt tokens); the last user message is the input.
    List<String> contents = new ArrayList<>();
    for (JsonNode m : messages) {
      contents.add(m.path("content").asText());
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
    if (model.equals(LocalJudge.MODEL)) {
      answer = judge.answer(user);
      serve(ModelCapacity.LARGE); // a judge is a large model
    } else {
      ModelCapacity base = ModelCapacity.ofBaseModel(model);
      FineTunedModel tuned = base == null ? models.load(model) : null;
      answer = base != null ? PromptFollower.answer(system, user) : tuned.answer(user);
      serve(base != null ? base : tuned.capacity);
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("id", "chatcmpl-" + completions.incrementAndGet());
    out.put("object", "chat.completion");
    out.put("created", System.currentTimeMillis() / 1000);
    out.put("model", model);
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", answer);
    choice.put("finish_reason", "stop");
    int promptTokens = TextFeatures.tokens(String.join(" ", contents)).size();
    int completionTokens = TextFeatures.tokens(answer).size();
    out.putObject("usage")
        .put("prompt_tokens", promptTokens)
        .put("completion_tokens", completionTokens)
        .put("total_tokens", promptTokens + completionTokens);
    return out;
  }

  /** Takes as long as a model of this size takes to answer. */
  private void serve(ModelCapacity capacity) {
    Duration d = latency.of(capacity == null ? ModelCapacity.SMALL : capacity);
    if (d.isZero()) {
      return;
    }
    try {
      Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while answering", e);
    }
  }

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
    return files.save(file.filename(), purpose, file.bytes());
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

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> out = new LinkedHashMap<>();
    String q = ex.getRequestURI().getRawQuery();
    if (q != null) {
      for (String kv : q.split("&", -1)) {
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

  private static void send(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }
}
