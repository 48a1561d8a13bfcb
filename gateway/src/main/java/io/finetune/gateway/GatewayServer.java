package io.finetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.provider.ProviderClient.ForwardedChat;
import io.finetune.activities.provider.ProviderConfig.Price;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.workflows.common.Names;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway: an OpenAI-compatible {@code POST /v1/chat/completions} whose {@code model} is a
 * registry name ({@code ticket-triage}: its current version) or {@code name@version}, forwarded to
 * that version's provider model (streamed as server-sent events when the request asks); and {@code
 * POST /v1/feedback}. Every request needs a bearer token of {@link ApiTokens}. Each forwarded call
 * is recorded as a {@link Trace} (its id in the response header {@value #TRACE_HEADER}) by the
 * {@link TraceWriter}, which redacts and stores it off the response path. Errors use OpenAI's
 * format, {@code {"error": {"message", "type", "param", "code"}}}, so that OpenAI clients show
 * their message.
 */
public final class GatewayServer implements AutoCloseable {
  public static final String TRACE_HEADER = "x-finetune-trace-id";
  private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HOW_TO_NAME =
      "Name a promoted model of the registry: 'NAME' for its current version, or 'NAME@VERSION'"
          + " for one version (e.g. 'ticket-triage' or 'ticket-triage@2').";

  /**
   * Where to listen and how much to take on.
   *
   * @param host the address to bind: loopback unless a deployment says otherwise
   * @param port 0 picks a free port
   * @param threads requests handled at once (each waits for its provider)
   * @param maxBodyBytes larger request bodies are refused with 413
   */
  public record Options(String host, int port, int threads, int maxBodyBytes) {
    public static Options loopback(int port) {
      return new Options("127.0.0.1", port, 16, 10 * 1024 * 1024);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final RegistryActivitiesImpl registry;
  private final Providers providers;
  private final ApiTokens tokens;
  private final TraceWriter traces;
  private final FeedbackStore feedback;
  private final int maxBodyBytes;
  private final AtomicBoolean closed = new AtomicBoolean();

  private GatewayServer(
      HttpServer server,
      ExecutorService executor,
      RegistryActivitiesImpl registry,
      Providers providers,
      ApiTokens tokens,
      TraceWriter traces,
      FeedbackStore feedback,
      int maxBodyBytes) {
    this.server = server;
    this.executor = executor;
    this.registry = registry;
    this.providers = providers;
    this.tokens = tokens;
    this.traces = traces;
    this.feedback = feedback;
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * Starts listening. {@link #close} stops it and then closes {@code traces}, so that every trace
   * of every answered call is written.
   */
  public static GatewayServer start(
      Options options,
      RegistryActivitiesImpl registry,
      Providers providers,
      ApiTokens tokens,
      TraceWriter traces,
      FeedbackStore feedback)
      throws IOException {
    // As in the local provider: without it every small response waits for a delayed ACK (~40 ms).
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    HttpServer http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 128);
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            options.threads(), r -> new Thread(r, "gateway-" + n.incrementAndGet()));
    GatewayServer gateway =
        new GatewayServer(
            http, executor, registry, providers, tokens, traces, feedback, options.maxBodyBytes());
    http.createContext("/", gateway::handle);
    http.setExecutor(executor);
    http.start();
    log.info("Gateway listening on {}", gateway.baseUrl());
    return gateway;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** What an OpenAI client takes as {@code base_url}, e.g. {@code http://127.0.0.1:8000/v1}. */
  public String baseUrl() {
    String host = server.getAddress().getAddress().getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + "/v1";
  }

  /** Stops taking requests, lets those in flight finish, then writes every trace. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    server.stop(1);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.MINUTES)) {
        log.warn("Gateway requests still running after 2 minutes; stopping them");
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    traces.close();
  }

  /** An answer to send: a status and a JSON body. */
  private record Reply(int status, JsonNode body) {}

  /** A request refused before anything was forwarded, in OpenAI's error format. */
  private static final class Refused extends RuntimeException {
    final int status;
    final String param;
    final String code;

    Refused(int status, String code, String param, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
      this.param = param;
    }
  }

  private void handle(HttpExchange ex) {
    try (ex) {
      Reply reply;
      try {
        reply = route(ex);
      } catch (Refused r) {
        reply = error(r.status, r.code, r.param, r.getMessage());
      } catch (FeedbackStore.Rejected r) {
        reply = error(r.status(), r.code(), r.param(), r.getMessage());
      } catch (RuntimeException e) {
        log.error("Gateway request {} {} failed", ex.getRequestMethod(), path(ex), e);
        reply = error(500, "internal_error", null, "The gateway failed: " + e.getMessage());
      }
      if (reply != null) {
        send(ex, reply); // null: a stream, answered as it went
      }
    } catch (IOException e) {
      log.debug("Could not answer {} (the client went away?): {}", path(ex), e.toString());
    }
  }

  private Reply route(HttpExchange ex) throws IOException {
    authenticate(ex);
    String path = path(ex);
    if (path.equals("/v1/chat/completions") || path.equals("/v1/feedback")) {
      if (!ex.getRequestMethod().equals("POST")) {
        ex.getResponseHeaders().set("Allow", "POST");
        throw new Refused(
            405, "method_not_allowed", null, path + " takes POST, not " + ex.getRequestMethod());
      }
      JsonNode body = readJson(ex);
      return path.equals("/v1/feedback") ? feedback(body) : chat(ex, body);
    }
    throw new Refused(
        404,
        "unknown_url",
        null,
        "Unknown endpoint "
            + ex.getRequestMethod()
            + " "
            + path
            + ": this gateway serves POST /v1/chat/completions and POST /v1/feedback");
  }

  /** Every request needs an active token: 401 otherwise, before anything is read or recorded. */
  private void authenticate(HttpExchange ex) {
    String header = ex.getRequestHeaders().getFirst("Authorization");
    String token = null;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      token = header.substring(7).trim();
    }
    if (token == null || token.isEmpty()) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      throw new Refused(
          401,
          "missing_api_key",
          null,
          "No API token: send the header 'Authorization: Bearer <token>' with a token of this"
              + " gateway");
    }
    if (tokens.verify(token).isEmpty()) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      throw new Refused(
          401, "invalid_api_key", null, "Invalid API token: it is unknown or was revoked");
    }
  }

  private Reply chat(HttpExchange ex, JsonNode body) {
    if (!body.isObject()) {
      throw new Refused(400, "invalid_value", null, "The body must be a JSON object");
    }
    ObjectNode request = (ObjectNode) body;
    String model = requireText(request, "model");
    JsonNode messages = request.get("messages");
    if (messages == null || messages.isNull()) {
      throw new Refused(400, "missing_field", "messages", "messages is required");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      throw new Refused(
          400, "invalid_value", "messages", "messages must be a non-empty array of messages");
    }
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String at = "messages[" + i + "]";
      if (!m.isObject()) {
        throw new Refused(
            400, "invalid_value", at, at + " must be an object with role and content");
      }
      JsonNode role = m.get("role");
      if (role == null || !role.isTextual() || role.asText().isBlank()) {
        throw new Refused(400, "invalid_value", at + ".role", at + ".role must be a string");
      }
    }
    JsonNode stream = request.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      throw new Refused(400, "invalid_value", "stream", "stream must be true or false");
    }
    ModelVersion version = resolve(model, canaryDraw(request));
    ProviderClient client;
    try {
      client = providers.client(version.provider());
    } catch (ApplicationFailure f) {
      throw new Refused(
          502,
          "provider_not_configured",
          "model",
          model + " is served by provider '" + version.provider() + "': " + f.getOriginalMessage());
    }

    String traceId = "tr-" + UUID.randomUUID();
    ex.getResponseHeaders().set(TRACE_HEADER, traceId);
    long createdAt = System.currentTimeMillis();
    long started = System.nanoTime();
    if (stream != null && stream.asBoolean()) {
      return stream(ex, request, version, client, traceId, createdAt, started);
    }
    ForwardedChat answer;
    try {
      answer = client.forwardChat(request, version.modelId(), null);
    } catch (ApplicationFailure f) {
      traces.record(
          new Trace(
              traceId,
              createdAt,
              version.name(),
              version.version(),
              version.modelId(),
              messages,
              null,
              millisSince(started),
              null,
              null,
              null,
              Trace.PROVIDER_ERROR));
      return error(502, "provider_error", null, f.getOriginalMessage());
    }
    // Recorded before the answer goes out: feedback on this trace id is accepted at once.
    traces.record(
        new Trace(
            traceId,
            createdAt,
            version.name(),
            version.version(),
            version.modelId(),
            messages,
            outputText(answer.response()),
            millisSince(started),
            answer.promptTokens(),
            answer.completionTokens(),
            cost(
                client.config().price(version.modelId()),
                answer.promptTokens(),
                answer.completionTokens()),
            Trace.OK));
    return new Reply(200, answer.response());
  }

  /**
   * Relays the provider's server-sent events to the client line by line as they arrive, and records
   * the trace from what went by: the text of the deltas, and the tokens when the provider sends
   * usage (clients ask for it with {@code stream_options.include_usage}). Once the first line is
   * out the status is sent: a later provider failure ends the stream with an error event.
   *
   * @return null when the answer was sent here, else the error to send
   */
  private Reply stream(
      HttpExchange ex,
      ObjectNode request,
      ModelVersion version,
      ProviderClient client,
      String traceId,
      long createdAt,
      long started) {
    StreamRelay relay = new StreamRelay(ex);
    String status = Trace.OK;
    Reply failure = null;
    try {
      client.streamChat(request, version.modelId(), relay);
    } catch (ApplicationFailure f) {
      status = Trace.PROVIDER_ERROR;
      failure = error(502, "provider_error", null, f.getOriginalMessage());
    } catch (IOException clientGone) {
      status = Trace.CLIENT_CLOSED;
      log.debug("Client of trace {} went away mid-stream: {}", traceId, clientGone.toString());
    }
    traces.record(
        new Trace(
            traceId,
            createdAt,
            version.name(),
            version.version(),
            version.modelId(),
            request.get("messages"),
            relay.text(),
            millisSince(started),
            relay.promptTokens(),
            relay.completionTokens(),
            relay.promptTokens() == null
                ? null
                : cost(
                    client.config().price(version.modelId()),
                    relay.promptTokens(),
                    relay.completionTokens()),
            status));
    // Recorded before the stream ends, so that feedback on this trace id is accepted at once.
    if (failure != null && relay.started()) {
      relay.fail(failure.body());
      return null;
    }
    if (failure != null) {
      return failure;
    }
    if (status.equals(Trace.OK)) {
      try {
        relay.finish();
      } catch (IOException clientGone) {
        log.debug("Client of trace {} went away at the end: {}", traceId, clientGone.toString());
      }
    }
    return null;
  }

  /** Passes event lines on to the client, and keeps the answer's text and usage from them. */
  private static final class StreamRelay implements ProviderClient.LineSink {
    private final HttpExchange ex;
    private OutputStream out;
    private final StringBuilder text = new StringBuilder();
    private Long promptTokens;
    private Long completionTokens;

    StreamRelay(HttpExchange ex) {
      this.ex = ex;
    }

    @Override
    public void line(String line) throws IOException {
      if (out == null) {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0); // chunked: the length is not known yet
        out = ex.getResponseBody();
      }
      out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      if (line.isEmpty()) {
        out.flush(); // an event is complete
      }
      if (line.startsWith("data:")) {
        read(line.substring(5).trim());
      }
    }

    private void read(String data) {
      if (data.equals("[DONE]")) {
        return;
      }
      try {
        JsonNode chunk = JSON.readTree(data);
        JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
        if (content.isTextual()) {
          text.append(content.asText());
        }
        JsonNode usage = chunk.path("usage");
        if (usage.isObject()) {
          promptTokens = usage.path("prompt_tokens").asLong(0);
          completionTokens = usage.path("completion_tokens").asLong(0);
        }
      } catch (JsonProcessingException e) {
        // not JSON: relayed as it came, nothing to keep from it
      }
    }

    boolean started() {
      return out != null;
    }

    void finish() throws IOException {
      if (out == null) {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, -1); // the provider sent no events at all
      } else {
        out.close();
      }
    }

    /** Ends a started stream with an error event in OpenAI's format. */
    void fail(JsonNode error) {
      try {
        out.write(("data: " + error + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.close();
      } catch (IOException e) {
        // the client is gone too
      }
    }

    String text() {
      return text.isEmpty() ? null : text.toString();
    }

    Long promptTokens() {
      return promptTokens;
    }

    Long completionTokens() {
      return completionTokens;
    }
  }

  /**
   * Where a call falls in a canary's split: by the request's {@code user} when it names one, so
   * that a user keeps seeing the same version through a rollout; at random otherwise.
   */
  static double canaryDraw(JsonNode request) {
    JsonNode user = request.get("user");
    if (user != null && user.isTextual() && !user.asText().isEmpty()) {
      return new SplittableRandom(user.asText().hashCode()).nextDouble();
    }
    return ThreadLocalRandom.current().nextDouble();
  }

  /**
   * {@code name} (its current version, or its canary for the canary's share of {@code draw}) or
   * {@code name@version} in the registry; 404 saying how to name one if none.
   */
  private ModelVersion resolve(String model, double draw) {
    int at = model.lastIndexOf('@');
    String name = at < 0 ? model : model.substring(0, at);
    if (!Names.isValid(name)) {
      throw unknownModel(model, "");
    }
    if (at < 0) {
      ModelVersion current = registry.route(name, draw);
      if (current == null) {
        throw unknownModel(model, "");
      }
      return current;
    }
    String number = model.substring(at + 1);
    Integer version = number.matches("[1-9][0-9]{0,8}") ? Integer.valueOf(number) : null;
    ModelVersion found = version == null ? null : registry.find(name, version);
    if (found == null) {
      ModelVersion current = registry.find(name);
      throw unknownModel(
          model,
          current == null
              ? ""
              : " Its versions are 1 to "
                  + current.version()
                  + " (the current one is "
                  + name
                  + "@"
                  + current.version()
                  + ").");
    }
    return found;
  }

  private static Refused unknownModel(String model, String detail) {
    return new Refused(
        404,
        "model_not_found",
        "model",
        "The model '" + model + "' is not in the registry." + detail + " " + HOW_TO_NAME);
  }

  private Reply feedback(JsonNode body) {
    FeedbackStore.Outcome outcome = feedback.submit(body);
    ObjectNode out = JSON.createObjectNode();
    out.put("status", outcome == FeedbackStore.Outcome.STORED ? "stored" : "already_stored");
    return new Reply(outcome == FeedbackStore.Outcome.STORED ? 201 : 200, out);
  }

  private JsonNode readJson(HttpExchange ex) throws IOException {
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(maxBodyBytes + 1);
    }
    if (bytes.length > maxBodyBytes) {
      throw new Refused(
          413, "body_too_large", null, "The body is larger than " + maxBodyBytes + " bytes");
    }
    if (bytes.length == 0) {
      throw new Refused(400, "invalid_json", null, "The body is empty: send a JSON object");
    }
    try {
      return JSON.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new Refused(
          400, "invalid_json", null, "The body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      // Not a JSON error to Jackson: bytes it took for UTF-32 by their NULs, then could not decode
      // (a CharConversionException). Thrown on, it read as a client gone: no answer at all.
      throw new Refused(
          400, "invalid_json", null, "The body is not valid JSON (send UTF-8): " + e.getMessage());
    }
  }

  private static String requireText(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      throw new Refused(400, "missing_field", field, field + " is required");
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new Refused(400, "invalid_value", field, field + " must be a non-empty string");
    }
    return v.asText();
  }

  /** The first choice's text; its whole message as JSON when it has no text (tool calls). */
  private static String outputText(JsonNode response) {
    JsonNode message = response.path("choices").path(0).path("message");
    JsonNode content = message.path("content");
    if (content.isTextual()) {
      return content.asText();
    }
    return message.isMissingNode() ? null : message.toString();
  }

  private static Double cost(Optional<Price> price, long promptTokens, long completionTokens) {
    return price
        .map(
            p ->
                (promptTokens * p.inputPerMillion() + completionTokens * p.outputPerMillion())
                    / 1e6)
        .orElse(null);
  }

  private static double millisSince(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000.0;
  }

  private static Reply error(int status, String code, String param, String message) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error");
    error.put("message", message);
    error.put("type", errorType(status));
    if (param == null) {
      error.putNull("param");
    } else {
      error.put("param", param);
    }
    error.put("code", code);
    return new Reply(status, body);
  }

  private static String errorType(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 502 -> "provider_error";
      case 500 -> "server_error";
      default -> "invalid_request_error";
    };
  }

  private static void send(HttpExchange ex, Reply reply) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(reply.body());
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(reply.status(), bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String path(HttpExchange ex) {
    return ex.getRequestURI().getPath().toLowerCase(Locale.ROOT);
  }
}
