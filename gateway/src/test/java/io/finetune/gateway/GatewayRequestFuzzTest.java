package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.fuzz.Fuzz;
import io.finetune.activities.fuzz.JsonTrees;
import io.finetune.activities.fuzz.Mutants;
import io.finetune.activities.fuzz.Mutants.Seed;
import io.finetune.activities.fuzz.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's request parsing, over HTTP on loopback in front of a provider that always answers:
 * every body made from valid chat and feedback requests gets a 2xx, or a 4xx with an error in
 * OpenAI's format that says what is wrong; never a 5xx, never no answer.
 */
class GatewayRequestFuzzTest {
  static final String READER = "gateway requests";
  private static final String ANSWER =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"ft:local-small:t:1\","
          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
          + "\"{\\\"category\\\":\\\"billing\\\"}\"},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}";
  private static final String EVENTS =
      "data: {\"choices\":[{\"delta\":{\"content\":\"{}\"}}]}\n\ndata: [DONE]\n\n";

  static final List<String> WORDS =
      List.of(
          "model",
          "messages",
          "role",
          "content",
          "user",
          "system",
          "assistant",
          "stream",
          "temperature",
          "stream_options",
          "include_usage",
          "ticket-triage",
          "ticket-triage@1",
          "ticket-triage@2",
          "ticket-triage@0",
          "event_id",
          "trace_id",
          "kind",
          "thumbs_up",
          "correction",
          "side_by_side",
          "preferred");

  private MockWebServer provider;
  private GatewayFixture f;
  private String traceId;

  @BeforeEach
  void setUp() throws Exception {
    provider = new MockWebServer();
    provider.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String body = request.getBody().readUtf8();
            return body.contains("\"stream\":true")
                ? new MockResponse().setHeader("Content-Type", "text/event-stream").setBody(EVENTS)
                : new MockResponse().setHeader("Content-Type", "application/json").setBody(ANSWER);
          }
        });
    provider.start();
    f = new GatewayFixture(provider.url("/v1").toString(), List.of());
    f.promote("ticket-triage", "ft:local-small:t:1");
    GatewayFixture.Answer first = f.post("/v1/chat/completions", chat(false));
    traceId = first.traceId();
    f.awaitTraces();
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    provider.shutdown();
  }

  private static String chat(boolean stream) {
    return "{\"model\": \"ticket-triage\", \"temperature\": 0.2, \"stream\": "
        + stream
        + ", \"messages\": [{\"role\": \"system\", \"content\": \"Classify.\"},"
        + " {\"role\": \"user\", \"content\": \"I was charged twice\"}]}";
  }

  private List<Seed> seeds() {
    return List.of(
        Seed.of("chat", chat(false)),
        Seed.of("chat stream", chat(true)),
        Seed.of(
            "chat parts",
            "{\"model\": \"ticket-triage@1\", \"user\": \"u-1\", \"messages\": [{\"role\": \"user\","
                + " \"content\": [{\"type\": \"text\", \"text\": \"hi\"}]}]}"),
        Seed.of(
            "feedback",
            "{\"event_id\": \"e-1\", \"trace_id\": \"" + traceId + "\", \"kind\": \"thumbs_up\"}"),
        Seed.of(
            "correction",
            "{\"event_id\": \"e-2\", \"trace_id\": \""
                + traceId
                + "\", \"kind\": \"correction\", \"correction\": \"billing\"}"));
  }

  /** A body and where it goes. */
  record Call(String path, Object body) {
    byte[] bytes() {
      return body instanceof Mutants.Mutant m
          ? m.bytes()
          : ((JsonTrees.Changed) body).json().getBytes(StandardCharsets.UTF_8);
    }
  }

  private static String path(String seedName) {
    return seedName.startsWith("chat") ? "/v1/chat/completions" : "/v1/feedback";
  }

  @Test
  void aRequestWithItsBytesEditedIsAnsweredOrRefusedWithA4xx() {
    List<Seed> seeds = seeds();
    Fuzz.check(
        READER,
        "gatewayBytesEdited",
        1,
        (SplittableRandom r) -> {
          Mutants.Mutant m = Mutants.random(r, seeds, WORDS);
          return new Call(path(m.seed().name()), m);
        },
        c -> {
          List<Call> out = new ArrayList<>();
          Mutants.smaller((Mutants.Mutant) c.body()).forEach(m -> out.add(new Call(c.path(), m)));
          return out;
        },
        this::check);
  }

  @Test
  void aRequestWithFieldsOfTheWrongTypeIsAnsweredOrRefusedWithA4xx() {
    Map<String, JsonNode> trees = new LinkedHashMap<>();
    for (Seed s : seeds()) {
      trees.put(
          s.name(), JsonTrees.read(JsonTrees.JSON, new String(s.bytes(), StandardCharsets.UTF_8)));
    }
    Fuzz.check(
        READER,
        "gatewayFieldsChanged",
        1,
        (SplittableRandom r) -> {
          JsonTrees.Changed c = JsonTrees.changed(r, trees, WORDS);
          return new Call(path(c.seedName()), c);
        },
        c -> {
          List<Call> out = new ArrayList<>();
          JsonTrees.smaller((JsonTrees.Changed) c.body())
              .forEach(t -> out.add(new Call(c.path(), t)));
          return out;
        },
        this::check);
  }

  /**
   * Found by the fuzz test: a body that starts with NUL bytes, which Jackson takes for UTF-32 and
   * then cannot decode, got no answer at all (the connection closed, logged as a client gone).
   */
  @Test
  void aBodyJacksonTakesForUtf32IsRefusedAsNotJson() throws Exception {
    byte[] body = {0, 0, 0, '{', (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    for (String path : List.of("/v1/chat/completions", "/v1/feedback")) {
      Request request =
          new Request.Builder()
              .url(f.gateway.baseUrl() + path.replaceFirst("^/v1", ""))
              .header("Authorization", "Bearer " + f.token)
              .post(RequestBody.create(body, MediaType.get("application/json")))
              .build();
      try (Response response = f.http.newCall(request).execute()) {
        JsonNode error = GatewayFixture.JSON.readTree(response.body().string()).path("error");
        assertEquals(400, response.code(), error.toString());
        assertEquals("invalid_json", error.path("code").asText());
        assertTrue(error.path("message").asText().contains("not valid JSON"), error.toString());
      }
    }
  }

  /** A 4xx in OpenAI's error format: the gateway's clear error, counted as such. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message);
    }
  }

  private void check(Call call) throws Exception {
    byte[] body = call.bytes();
    Outcome.of(
        () -> {
          Request request =
              new Request.Builder()
                  .url(f.gateway.baseUrl() + call.path().replaceFirst("^/v1", ""))
                  .header("Authorization", "Bearer " + f.token)
                  .post(RequestBody.create(body, MediaType.get("application/json")))
                  .build();
          try (Response response = f.http.newCall(request).execute()) {
            String text = response.body().string();
            int status = response.code();
            if (status >= 400) {
              JsonNode error = GatewayFixture.JSON.readTree(text).path("error");
              assertTrue(status < 500, "a server error " + status + ": " + text);
              assertFalse(error.path("message").asText().isBlank(), "no message: " + text);
              assertFalse(error.path("code").asText().isBlank(), "no code: " + text);
              throw new Refused(status + " " + error);
            }
            assertTrue(status >= 200 && status < 300, "status " + status + ": " + text);
            return status;
          }
        },
        Refused.class,
        call);
  }
}
