package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.provider.local.Chaos.Fault;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import okhttp3.MediaType;
import okhttp3.MultipartBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Injected faults and latency: what a client sees, how often, and that they change nothing. */
class ChaosTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final Set<Integer> FAULT_STATUSES = Set.of(429, 500, 503);

  // No silent retry: every call is one request, so the counts below are exact.
  private final OkHttpClient http =
      new OkHttpClient.Builder()
          .retryOnConnectionFailure(false)
          .callTimeout(Duration.ofSeconds(30))
          .build();

  @TempDir Path storage;
  private LocalProvider provider;

  @AfterEach
  void stop() {
    if (provider != null) {
      provider.close();
    }
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  private record Reply(int status, String retryAfter, String retryAfterMs, JsonNode body) {}

  private Reply send(Request request) throws IOException {
    try (Response r = http.newCall(request).execute()) {
      String text = r.body() == null ? "" : r.body().string();
      return new Reply(
          r.code(),
          r.header("Retry-After"),
          r.header("retry-after-ms"),
          text.isEmpty() ? null : JSON.readTree(text));
    }
  }

  private Request get(String path) {
    return new Request.Builder().url(provider.baseUrl() + path).get().build();
  }

  private Request post(String path, String json) {
    return new Request.Builder()
        .url(provider.baseUrl() + path)
        .post(RequestBody.create(json, JSON_TYPE))
        .build();
  }

  private Request upload() {
    RequestBody body =
        new MultipartBody.Builder()
            .setType(MultipartBody.FORM)
            .addFormDataPart("purpose", "fine-tune")
            .addFormDataPart(
                "file",
                "t.jsonl",
                RequestBody.create(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                        + "{\"role\":\"assistant\",\"content\":\"y\"}]}\n",
                    MediaType.get("application/jsonl")))
            .build();
    return new Request.Builder().url(provider.baseUrl() + "/files").post(body).build();
  }

  private Request chat() {
    return post(
        "/chat/completions",
        "{\"model\":\"local-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  }

  /** The request's fault: its kind, read off the reply, or CONNECTION_RESET on an IOException. */
  private Fault faultOf(Request request) {
    Reply r;
    try {
      r = send(request);
    } catch (IOException e) {
      return Fault.CONNECTION_RESET;
    }
    return switch (r.status()) {
      case 429 -> Fault.RATE_LIMITED;
      case 500 -> Fault.SERVER_ERROR;
      case 503 -> Fault.UNAVAILABLE;
      default -> null;
    };
  }

  @Test
  void atRateOneEveryRequestFailsAndNothingChanges() throws Exception {
    provider = LocalProvider.start(0, storage, new Chaos(1.0, 7, Duration.ZERO));
    Map<Fault, Integer> seen = new EnumMap<>(Fault.class);
    for (int i = 0; i < 40; i++) {
      Request request =
          switch (i % 5) {
            case 0 -> upload();
            case 1 ->
                post(
                    "/fine_tuning/jobs",
                    "{\"model\":\"local-small\",\"training_file\":\"file-1\"}");
            case 2 -> post("/fine_tuning/jobs/ftjob-1/cancel", "{}");
            case 3 -> chat();
            default -> get("/fine_tuning/jobs");
          };
      Fault fault = faultOf(request);
      assertNotNull(fault, "request " + i + " was answered without a fault");
      seen.merge(fault, 1, Integer::sum);
    }
    assertEquals(40, provider.faultsInjectedTotal());
    assertEquals(Set.of(Fault.values()), seen.keySet(), seen.toString());
    for (Fault f : Fault.values()) {
      assertEquals(seen.get(f).longValue(), provider.faultsInjected().get(f), f.name());
    }

    // Nothing was stored: the same storage, served without chaos, has no file and no job.
    provider.close();
    provider = LocalProvider.start(0, storage);
    assertEquals(0, send(get("/files")).body().get("data").size());
    assertEquals(0, send(get("/fine_tuning/jobs")).body().get("data").size());
    assertEquals(0, provider.faultsInjectedTotal());
  }

  @Test
  void atRateThreeTenthsAboutThatShareFailsWithEveryKind() throws Exception {
    provider = LocalProvider.start(0, storage, new Chaos(0.3, 42, Duration.ZERO));
    int requests = 200;
    int ok = 0;
    Map<Fault, Integer> seen = new EnumMap<>(Fault.class);
    for (int i = 0; i < requests; i++) {
      Fault fault = faultOf(i % 2 == 0 ? chat() : get("/models"));
      if (fault == null) {
        ok++;
      } else {
        seen.merge(fault, 1, Integer::sum);
      }
    }
    int faults = requests - ok;
    // Binomial(200, 0.3): mean 60, standard deviation about 6.5; a fixed seed, so stable.
    assertTrue(faults >= 40 && faults <= 80, "faults: " + faults);
    assertEquals(Set.of(Fault.values()), seen.keySet(), seen.toString());
    assertEquals(faults, provider.faultsInjectedTotal());
  }

  @Test
  void sameSeedSameFaults() throws Exception {
    StringBuilder first = new StringBuilder();
    StringBuilder second = new StringBuilder();
    for (StringBuilder out : new StringBuilder[] {first, second}) {
      provider = LocalProvider.start(0, storage, new Chaos(0.5, 3, Duration.ZERO));
      for (int i = 0; i < 30; i++) {
        out.append(faultOf(get("/models"))).append(' ');
      }
      provider.close();
    }
    provider = null;
    assertEquals(first.toString(), second.toString());
    long kinds =
        Arrays.stream(first.toString().split(" "))
            .filter(k -> !k.equals("null"))
            .distinct()
            .count();
    assertTrue(kinds >= 3, "kinds drawn: " + first);
  }

  @Test
  void rateLimitCarriesRetryAfterAndAnOpenAiError() throws Exception {
    provider =
        LocalProvider.start(0, storage, new Chaos(1.0, 1, Duration.ZERO).only(Fault.RATE_LIMITED));
    Reply r = send(chat());
    assertEquals(429, r.status());
    assertEquals("1", r.retryAfter());
    assertEquals("200", r.retryAfterMs());
    JsonNode error = r.body().get("error");
    assertTrue(error.get("message").asText().startsWith("Rate limit reached"), r.body().toString());
    assertEquals("rate_limit_exceeded", error.get("type").asText());
    assertEquals("rate_limit_exceeded", error.get("code").asText());
    assertEquals(Map.of(Fault.RATE_LIMITED, 1L), nonZero(provider.faultsInjected()));
  }

  @Test
  void serverErrorsAreOpenAiErrors() throws Exception {
    provider =
        LocalProvider.start(
            0,
            storage,
            new Chaos(1.0, 1, Duration.ZERO).only(Fault.SERVER_ERROR, Fault.UNAVAILABLE));
    for (int i = 0; i < 10; i++) {
      Reply r = send(get("/models"));
      assertTrue(r.status() == 500 || r.status() == 503, "status " + r.status());
      assertEquals("server_error", r.body().get("error").get("type").asText());
    }
  }

  @Test
  void aResetIsAnIOExceptionToOkHttpAndTheJdkClient() throws Exception {
    provider =
        LocalProvider.start(
            0, storage, new Chaos(1.0, 1, Duration.ZERO).only(Fault.CONNECTION_RESET));
    IOException okhttp = assertThrows(IOException.class, () -> send(upload()));
    assertNotNull(okhttp.getMessage());
    assertThrows(
        IOException.class,
        () ->
            send(post("/fine_tuning/jobs", "{\"model\":\"local-small\",\"training_file\":\"f\"}")));

    HttpClient jdk = HttpClient.newHttpClient();
    assertThrows(
        IOException.class,
        () ->
            jdk.send(
                HttpRequest.newBuilder(URI.create(provider.baseUrl() + "/models")).build(),
                HttpResponse.BodyHandlers.ofString()));
    assertTrue(provider.faultsInjected().get(Fault.CONNECTION_RESET) >= 3);

    provider.close();
    provider = LocalProvider.start(0, storage);
    assertEquals(0, send(get("/files")).body().get("data").size());
    assertEquals(0, send(get("/fine_tuning/jobs")).body().get("data").size());
  }

  @Test
  void addedLatencyDelaysEveryRequest() throws Exception {
    Duration latency = Duration.ofMillis(300);
    provider = LocalProvider.start(0, storage, new Chaos(0, 1, latency));
    for (int i = 0; i < 2; i++) {
      long start = System.nanoTime();
      Reply r = send(get("/models"));
      long tookNanos = System.nanoTime() - start;
      assertEquals(200, r.status());
      assertTrue(tookNanos >= latency.toNanos(), "took " + Duration.ofNanos(tookNanos));
    }
    assertEquals(0, provider.faultsInjectedTotal());
  }

  @Test
  void noChaosMeansNoFaults() throws Exception {
    provider = LocalProvider.start(0, storage);
    for (int i = 0; i < 20; i++) {
      assertEquals(200, send(get("/models")).status());
    }
    assertEquals(0, provider.faultsInjectedTotal());
    assertTrue(!FAULT_STATUSES.contains(send(chat()).status()));
  }

  @Test
  void chaosIsValidated() {
    assertThrows(IllegalArgumentException.class, () -> new Chaos(1.5, 1, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new Chaos(-0.1, 1, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new Chaos(0.1, 1, Duration.ofMillis(-1)));
  }

  private static Map<Fault, Long> nonZero(Map<Fault, Long> counts) {
    Map<Fault, Long> out = new EnumMap<>(Fault.class);
    counts.forEach(
        (k, v) -> {
          if (v > 0) {
            out.put(k, v);
          }
        });
    return out;
  }
}
