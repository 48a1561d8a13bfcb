package io.finetune.activities.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.workflows.common.Failures;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A thin HTTP client for one provider: OpenAI-compatible chat completions, and the plain requests
 * that each fine-tuning API is made of ({@code io.finetune.activities.training.FineTuningApi}). It
 * sends the key, and turns HTTP outcomes into Temporal failures: refusals are non-retryable,
 * overload and outages are retried, honouring Retry-After; every request is reported to the
 * metrics.
 */
public final class ProviderClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final MediaType JSONL_TYPE = MediaType.get("application/jsonl");

  private final ProviderConfig config;
  private final HttpUrl base;
  private final OkHttpClient http;
  private final ProviderMetrics metrics;
  private final RetryPolicy retry;
  private final AdaptiveLimit gate;

  /** How long the last successful exchange of this thread took (read right after the send). */
  private final ThreadLocal<Long> lastAnswerNanos = ThreadLocal.withInitial(() -> 0L);

  ProviderClient(ProviderConfig config, OkHttpClient http) {
    this(config, http, ProviderMetrics.NONE);
  }

  ProviderClient(ProviderConfig config, OkHttpClient http, ProviderMetrics metrics) {
    this.config = config;
    HttpUrl url = HttpUrl.parse(config.baseUrl().replaceAll("/+$", "") + "/");
    if (url == null) {
      throw Failures.invalidInput(
          "Provider '" + config.name() + "' has an invalid base URL: " + config.baseUrl());
    }
    this.base = url;
    this.http = http;
    this.metrics = metrics;
    this.retry = config.retry();
    this.gate = new AdaptiveLimit(config.name(), config.limits(), metrics);
  }

  public ProviderConfig config() {
    return config;
  }

  /** One chat completion: {@code system} as system message, {@code user} as user message. */
  public String chat(String model, String system, String user) {
    return chat(model, system, user, null);
  }

  /** As {@link #chat(String, String, String)}, cancelled with {@code scope} (when not null). */
  public String chat(String model, String system, String user, CallScope scope) {
    return complete(model, system, user, scope).text();
  }

  /**
   * One chat completion, with what it took: the provider's token counts (0 when it reports none)
   * and the latency of the exchange that answered (waits for retries not included: they measure the
   * provider's load, not the model).
   */
  public ChatAnswer complete(String model, String system, String user, CallScope scope) {
    List<ChatMessage> messages = new ArrayList<>(2);
    if (system != null && !system.isBlank()) {
      messages.add(ChatMessage.system(system));
    }
    messages.add(ChatMessage.user(user));
    return complete(model, messages, scope);
  }

  /** One chat completion of a whole conversation (e.g. a system message and earlier turns). */
  public String chat(String model, List<ChatMessage> messages) {
    return complete(model, messages, null).text();
  }

  /** As {@link #complete(String, String, String, CallScope)}, with the messages as given. */
  public ChatAnswer complete(String model, List<ChatMessage> messages, CallScope scope) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", model);
    body.put("temperature", 0);
    var array = body.putArray("messages");
    for (ChatMessage m : messages) {
      array.addObject().put("role", m.role()).put("content", m.content());
    }
    JsonNode response = send("chat/completions", post("chat/completions", body), scope);
    long nanos = lastAnswerNanos.get();
    JsonNode content = response.path("choices").path(0).path("message").path("content");
    JsonNode usage = response.path("usage");
    return new ChatAnswer(
        content.isTextual() ? content.asText() : "",
        usage.path("prompt_tokens").asLong(0),
        usage.path("completion_tokens").asLong(0),
        nanos / 1_000_000.0);
  }

  /**
   * Forwards an OpenAI chat completion request as a client sent it (every parameter kept) to {@code
   * model}, for the gateway: returns the provider's whole answer with its token usage and the
   * latency of the exchange that answered. The request is not changed.
   */
  public ForwardedChat forwardChat(ObjectNode request, String model, CallScope scope) {
    ObjectNode body = request.deepCopy();
    body.put("model", model);
    JsonNode response = send("chat/completions", post("chat/completions", body), scope);
    long nanos = lastAnswerNanos.get();
    JsonNode usage = response.path("usage");
    return new ForwardedChat(
        response,
        usage.path("prompt_tokens").asLong(0),
        usage.path("completion_tokens").asLong(0),
        nanos / 1_000_000.0);
  }

  /** Where {@link #streamChat} hands the lines of a streamed answer, as they arrive. */
  public interface LineSink {
    /**
     * One line of the provider's server-sent events, without its line break.
     *
     * @throws IOException when the line cannot be passed on (the client went away): the stream
     *     stops
     */
    void line(String line) throws IOException;
  }

  /**
   * Forwards a streaming chat request ({@code "stream": true}) as a client sent it to {@code
   * model}, handing each line of the provider's server-sent events to {@code sink} as it arrives.
   * Never repeated: the first lines may have reached the client already. A refusal, an outage or a
   * broken stream fails as {@link #forwardChat} does (non-retryably); an {@link IOException} of the
   * sink stops the stream and is thrown as is.
   */
  public void streamChat(ObjectNode request, String model, LineSink sink) throws IOException {
    ObjectNode body = request.deepCopy();
    body.put("model", model);
    Request.Builder builder = post("chat/completions", body);
    if (config.apiKey() != null && !config.apiKey().isEmpty()) {
      builder.header("Authorization", "Bearer " + config.apiKey());
    }
    Request httpRequest = builder.build();
    String what = "POST " + httpRequest.url().encodedPath();
    AdaptiveLimit.Permit permit = awaitTurn("chat/completions", httpRequest, what);
    Call call = http.newCall(httpRequest);
    long started = System.nanoTime();
    int status = 0;
    ProviderMetrics.Outcome outcome = ProviderMetrics.Outcome.UNAVAILABLE;
    try {
      Response response;
      try {
        response = call.execute();
      } catch (IOException e) {
        throw streamFailure("did not answer " + what + ": " + e.getMessage(), e);
      }
      try (response) {
        status = response.code();
        if (!response.isSuccessful()) {
          String text = response.body() == null ? "" : response.body().string();
          boolean refused = status != 429 && status != 408 && status != 409 && status < 500;
          if (refused) {
            outcome = ProviderMetrics.Outcome.REJECTED;
          }
          throw ApplicationFailure.newNonRetryableFailure(
              "Provider '"
                  + config.name()
                  + "' answered "
                  + status
                  + " to "
                  + what
                  + ": "
                  + errorMessage(text),
              refused ? Failures.PROVIDER_REJECTED : Failures.PROVIDER_UNAVAILABLE);
        }
        okio.BufferedSource source = response.body().source();
        while (true) {
          String line;
          try {
            line = source.readUtf8Line();
          } catch (IOException e) {
            throw streamFailure("broke off its stream to " + what + ": " + e.getMessage(), e);
          }
          if (line == null) {
            break;
          }
          sink.line(line);
        }
        outcome = ProviderMetrics.Outcome.SUCCESS;
      }
    } finally {
      permit.release(limitResult(status, outcome), -1);
      metrics.record(
          new ProviderMetrics.Exchange(
              config.name(),
              "POST",
              "chat/completions",
              status,
              outcome,
              System.nanoTime() - started));
    }
  }

  private ApplicationFailure streamFailure(String message, IOException cause) {
    return ApplicationFailure.newNonRetryableFailureWithCause(
        "Provider '" + config.name() + "' at " + config.baseUrl() + " " + message,
        Failures.PROVIDER_UNAVAILABLE,
        cause);
  }

  /** The provider's answer to a forwarded chat request, as it sent it, and what it took. */
  public record ForwardedChat(
      JsonNode response, long promptTokens, long completionTokens, double latencyMillis) {}

  /** A chat completion's answer, its token usage and the latency of the exchange. */
  public record ChatAnswer(
      String text, long promptTokens, long completionTokens, double latencyMillis) {}

  /**
   * GET {@code url}. {@code endpoint} is its path template for metrics, e.g. {@code
   * fine-tunes/{id}}: never an id.
   */
  public JsonNode get(String endpoint, HttpUrl url) {
    return send(endpoint, new Request.Builder().url(url).get());
  }

  /** POST {@code body} as JSON to {@code url} ({@code endpoint}: see {@link #get}). */
  public JsonNode postJson(String endpoint, HttpUrl url, JsonNode body) {
    try {
      return send(
          endpoint,
          new Request.Builder()
              .url(url)
              .post(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE)));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * POST a multipart form to {@code url}: {@code fields} in their order, then {@code file} as JSONL
   * in the part {@code filePart} under the name {@code filename} ({@code endpoint}: see {@link
   * #get}).
   */
  public JsonNode postMultipart(
      String endpoint,
      HttpUrl url,
      Map<String, String> fields,
      String filePart,
      String filename,
      Path file) {
    MultipartBody.Builder body = new MultipartBody.Builder().setType(MultipartBody.FORM);
    fields.forEach(body::addFormDataPart);
    body.addFormDataPart(filePart, filename, RequestBody.create(file.toFile(), JSONL_TYPE));
    return send(endpoint, new Request.Builder().url(url).post(body.build()));
  }

  /** {@code path} under the provider's base URL, e.g. {@code fine-tunes/ft-1/events}. */
  public HttpUrl url(String path) {
    return base.resolve(path);
  }

  private Request.Builder post(String path, JsonNode body) {
    try {
      return new Request.Builder()
          .url(url(path))
          .post(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode send(String endpoint, Request.Builder builder) {
    return send(endpoint, builder, null);
  }

  /**
   * Sends a request, riding out what a busy provider does (see {@link RetryPolicy}) until the
   * budget is spent; then fails retryably, so the activity's retry policy takes over. A request
   * that is not safe to repeat (it creates something) is repeated only after a 429, which a
   * provider answers before doing anything: its activity checks what exists before trying again.
   * {@code endpoint}: the path template, for metrics.
   */
  private JsonNode send(String endpoint, Request.Builder builder, CallScope scope) {
    if (config.apiKey() != null && !config.apiKey().isEmpty()) {
      builder.header("Authorization", "Bearer " + config.apiKey());
    }
    Request request = builder.build();
    boolean safeToRepeat =
        request.method().equals("GET")
            || endpoint.equals("chat/completions")
            || endpoint.endsWith("/cancel");
    long deadline = System.nanoTime() + retry.budget().toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        return sendOnce(endpoint, request, scope);
      } catch (Transient t) {
        Duration wait = t.asked != null ? t.asked : retry.backoff(attempt);
        boolean repeatable = safeToRepeat || t.asked != null;
        if (!repeatable || System.nanoTime() + wait.toNanos() > deadline) {
          throw t.failure;
        }
        try {
          Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw t.failure; // the eval was cancelled or failed: stop here
        }
      }
    }
  }

  /** A failure worth repeating the request for, and the wait a 429 asked for, if any. */
  private static final class Transient extends RuntimeException {
    final ApplicationFailure failure;
    final Duration asked;

    Transient(ApplicationFailure failure, Duration asked) {
      super(failure.getOriginalMessage(), null, false, false);
      this.failure = failure;
      this.asked = asked;
    }
  }

  private JsonNode sendOnce(String endpoint, Request request, CallScope scope) {
    String what = request.method() + " " + request.url().encodedPath();
    AdaptiveLimit.Permit permit = awaitTurn(endpoint, request, what);
    Call call = http.newCall(request);
    if (scope != null) {
      scope.enter(call);
    }
    long started = System.nanoTime();
    int status = 0;
    ProviderMetrics.Outcome outcome = ProviderMetrics.Outcome.UNAVAILABLE;
    long usedTokens = -1;
    try (Response response = call.execute()) {
      String text = response.body() == null ? "" : response.body().string();
      int code = response.code();
      status = code;
      if (response.isSuccessful()) {
        JsonNode json = JSON.readTree(text);
        usedTokens = json.path("usage").path("total_tokens").asLong(-1);
        outcome = ProviderMetrics.Outcome.SUCCESS;
        lastAnswerNanos.set(System.nanoTime() - started);
        return json;
      }
      String detail = errorMessage(text);
      String message =
          "Provider '" + config.name() + "' answered " + code + " to " + what + ": " + detail;
      if (code == 429) {
        Duration asked =
            RetryPolicy.asked(
                    response.header("retry-after-ms"),
                    response.header("Retry-After"),
                    response.header("x-ratelimit-reset-requests"),
                    response.header("x-ratelimit-reset-tokens"))
                .orElse(Duration.ofSeconds(1));
        throw new Transient(
            ApplicationFailure.newFailureWithCauseAndDelay(
                message, Failures.PROVIDER_UNAVAILABLE, null, asked),
            asked);
      }
      if (code == 408 || code == 409 || code >= 500) {
        throw new Transient(
            ApplicationFailure.newFailure(message, Failures.PROVIDER_UNAVAILABLE), null);
      }
      outcome = ProviderMetrics.Outcome.REJECTED;
      throw ApplicationFailure.newNonRetryableFailure(message, Failures.PROVIDER_REJECTED);
    } catch (IOException e) {
      if (call.isCanceled()) {
        outcome = ProviderMetrics.Outcome.CANCELLED;
      }
      ApplicationFailure failure =
          ApplicationFailure.newFailure(
              "Provider '"
                  + config.name()
                  + "' at "
                  + config.baseUrl()
                  + " did not answer "
                  + what
                  + ": "
                  + e.getMessage(),
              Failures.PROVIDER_UNAVAILABLE);
      if (call.isCanceled()) {
        throw failure; // cancelled by us: never repeated
      }
      throw new Transient(failure, null);
    } finally {
      permit.release(limitResult(status, outcome), usedTokens);
      if (scope != null) {
        scope.exit(call);
      }
      metrics.record(
          new ProviderMetrics.Exchange(
              config.name(),
              request.method(),
              endpoint,
              status,
              outcome,
              System.nanoTime() - started));
    }
  }

  /**
   * Waits for the provider's gate (see {@link AdaptiveLimit}). A chat request reserves tokens for
   * its prompt, about 4 characters each, until its answer tells what it used.
   */
  private AdaptiveLimit.Permit awaitTurn(String endpoint, Request request, String what) {
    try {
      long tokens = 0;
      if (endpoint.equals("chat/completions") && request.body() != null) {
        tokens = Math.max(0, request.body().contentLength() / 4);
      }
      return gate.acquire(tokens);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApplicationFailure.newFailure(
          "Provider '" + config.name() + "': " + what + " was cancelled while waiting its turn",
          Failures.PROVIDER_UNAVAILABLE);
    } catch (IOException e) {
      throw new IllegalStateException(e); // the bodies we build know their length
    }
  }

  private static String errorMessage(String body) {
    try {
      JsonNode error = JSON.readTree(body).path("error");
      if (error.isObject()) {
        StringBuilder sb = new StringBuilder(error.path("message").asText("(no message)"));
        for (String f : new String[] {"code", "param"}) {
          if (error.hasNonNull(f)) {
            sb.append(" [").append(f).append('=').append(error.get(f).asText()).append(']');
          }
        }
        return sb.toString();
      }
    } catch (IOException ignored) {
      // not JSON: fall through to the raw text
    }
    return body.length() > 300 ? body.substring(0, 300) + "..." : body;
  }

  /** For logs and messages: never the key. */
  @Override
  public String toString() {
    return "ProviderClient" + Map.of("name", config.name(), "baseUrl", config.baseUrl());
  }

  /** What an exchange tells the adaptive limit: a 429 means overloaded, whatever else happened. */
  private static AdaptiveLimit.Result limitResult(int status, ProviderMetrics.Outcome outcome) {
    return status == 429
        ? AdaptiveLimit.Result.OVERLOADED
        : outcome == ProviderMetrics.Outcome.SUCCESS
            ? AdaptiveLimit.Result.SUCCESS
            : AdaptiveLimit.Result.OTHER;
  }
}
