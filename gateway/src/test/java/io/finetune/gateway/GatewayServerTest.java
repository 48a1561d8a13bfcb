package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.provider.ProviderConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import okhttp3.MediaType;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The gateway's chat endpoint in front of a scripted provider. */
class GatewayServerTest {
  private static final String ANSWER =
      "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"ft:local-small:t:1\","
          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
          + "\"{\\\"category\\\":\\\"billing\\\"}\"},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":500,\"total_tokens\":1500}}";

  // Planted personal data: none of it may reach the database.
  private static final String EMAIL = "jane.doe@example.com";
  private static final String PHONE = "+1 (555) 123-4567";
  private static final String CARD = "4111 1111 1111 1111";

  MockWebServer provider;
  GatewayFixture f;

  @BeforeEach
  void setUp() throws Exception {
    provider = new MockWebServer();
    provider.start();
    f =
        new GatewayFixture(
            provider.url("/v1").toString(),
            List.of(new ProviderConfig.Price("ft:local-small*", 2.0, 4.0, 0)));
    f.promote("ticket-triage", "ft:local-small:t:1");
    f.promote("ticket-triage", "ft:local-small:t:2");
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    provider.shutdown();
  }

  private static String chat(String model, String user) {
    return "{\"model\":\""
        + model
        + "\",\"temperature\":0.2,\"messages\":[{\"role\":\"system\",\"content\":\"Classify.\"},"
        + "{\"role\":\"user\",\"content\":"
        + GatewayFixture.JSON.valueToTree(user)
        + "}]}";
  }

  @Test
  void aChatCompletionIsForwardedAndTracedWithThePersonalDataRedacted() throws Exception {
    provider.enqueue(new MockResponse().setBody(ANSWER));
    String user =
        "I was charged twice. Mail me at "
            + EMAIL
            + " or call "
            + PHONE
            + ", card "
            + CARD
            + ", order #74790.";

    GatewayFixture.Answer a = f.post("/v1/chat/completions", chat("ticket-triage", user));

    assertEquals(200, a.status(), a.body().toString());
    assertEquals(GatewayFixture.JSON.readTree(ANSWER), a.body(), "the provider's answer as is");
    assertNotNull(a.traceId());
    RecordedRequest sent = provider.takeRequest();
    JsonNode forwarded = GatewayFixture.JSON.readTree(sent.getBody().readUtf8());
    assertEquals("ft:local-small:t:2", forwarded.path("model").asText(), "the current version");
    assertEquals(0.2, forwarded.path("temperature").asDouble(), "the client's parameters kept");
    assertEquals(user, forwarded.path("messages").path(1).path("content").asText());
    assertEquals(
        "Bearer " + GatewayFixture.PROVIDER_KEY,
        sent.getHeader("Authorization"),
        "the provider gets its own key, never the client's token");

    f.awaitTraces();
    List<Map<String, String>> rows = f.rows("traces");
    assertEquals(1, rows.size());
    Map<String, String> trace = rows.get(0);
    assertEquals(a.traceId(), trace.get("id"));
    assertEquals("ticket-triage", trace.get("model_name"));
    assertEquals("2", trace.get("model_version"));
    assertEquals("ft:local-small:t:2", trace.get("provider_model"));
    assertEquals("{\"category\":\"billing\"}", trace.get("output"));
    assertEquals("1000", trace.get("prompt_tokens"));
    assertEquals("500", trace.get("completion_tokens"));
    assertEquals(0.004, Double.parseDouble(trace.get("cost")), 1e-12, "1000 x $2/M + 500 x $4/M");
    assertEquals("ok", trace.get("status"));
    assertTrue(Double.parseDouble(trace.get("latency_ms")) > 0);
    JsonNode input = GatewayFixture.JSON.readTree(trace.get("input"));
    assertEquals(
        "I was charged twice. Mail me at [email] or call [phone], card [card], order #74790.",
        input.path(1).path("content").asText());
    assertEquals("Classify.", input.path(0).path("content").asText());
    for (Map<String, String> row : rows) {
      for (Map.Entry<String, String> column : row.entrySet()) {
        String v = String.valueOf(column.getValue());
        for (String planted :
            List.of(
                EMAIL,
                "jane.doe",
                "example.com",
                PHONE,
                "(555)",
                "123-4567",
                "5551234567",
                CARD,
                "4111 1111",
                "4111111111111111")) {
          assertFalse(v.contains(planted), column.getKey() + " holds '" + planted + "': " + v);
        }
      }
    }
  }

  @Test
  void nameAtVersionIsForwardedToThatVersion() throws Exception {
    provider.enqueue(new MockResponse().setBody(ANSWER));

    GatewayFixture.Answer a = f.post("/v1/chat/completions", chat("ticket-triage@1", "hi"));

    assertEquals(200, a.status());
    JsonNode sent = GatewayFixture.JSON.readTree(provider.takeRequest().getBody().readUtf8());
    assertEquals("ft:local-small:t:1", sent.path("model").asText());
    f.awaitTraces();
    assertEquals("1", f.rows("traces").get(0).get("model_version"));
  }

  @Test
  void requestsWithoutAValidTokenAre401AndNothingIsForwardedOrRecorded() throws Exception {
    String body = chat("ticket-triage", "hi");
    GatewayFixture.Answer none = f.post("/v1/chat/completions", body, null);
    GatewayFixture.Answer wrong = f.post("/v1/chat/completions", body, "ftgw-not-a-token");
    ApiTokens.Created other = f.tokens.create("other-app");
    f.tokens.revoke("other-app");
    GatewayFixture.Answer revoked = f.post("/v1/chat/completions", body, other.token());
    GatewayFixture.Answer feedback =
        f.post(
            "/v1/feedback",
            "{\"event_id\":\"e1\",\"trace_id\":\"tr-x\",\"kind\":\"thumbs_up\"}",
            "ftgw-not-a-token");

    for (GatewayFixture.Answer a : List.of(none, wrong, revoked, feedback)) {
      assertEquals(401, a.status());
      assertEquals("authentication_error", a.body().path("error").path("type").asText());
      assertNotNull(a.wwwAuthenticate());
      assertNull(a.traceId());
    }
    assertTrue(none.errorMessage().contains("Authorization: Bearer"), none.errorMessage());
    assertTrue(revoked.errorMessage().contains("revoked"), revoked.errorMessage());
    assertEquals(0, provider.getRequestCount());
    f.awaitTraces();
    assertEquals(List.of(), f.rows("traces"));
    assertEquals(List.of(), f.rows("feedback"));
  }

  @Test
  void anUnknownModelIs404SayingHowToNameOne() throws Exception {
    GatewayFixture.Answer unknown = f.post("/v1/chat/completions", chat("no-such-model", "hi"));
    GatewayFixture.Answer noVersion = f.post("/v1/chat/completions", chat("ticket-triage@7", "hi"));
    GatewayFixture.Answer providerId = f.post("/v1/chat/completions", chat("gpt-4.1", "hi"));

    for (GatewayFixture.Answer a : List.of(unknown, noVersion, providerId)) {
      assertEquals(404, a.status());
      assertEquals("model_not_found", a.body().path("error").path("code").asText());
      assertEquals("model", a.body().path("error").path("param").asText());
      assertTrue(a.errorMessage().contains("'NAME@VERSION'"), a.errorMessage());
    }
    assertTrue(unknown.errorMessage().startsWith("The model 'no-such-model' is not in the"));
    assertTrue(
        noVersion.errorMessage().contains("the current one is ticket-triage@2"),
        noVersion.errorMessage());
    assertEquals(0, provider.getRequestCount());
  }

  @Test
  void malformedRequestsAre400NamingTheField() throws Exception {
    Map<String, String> cases =
        Map.of(
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model is required",
            "{\"model\":\"ticket-triage\"}", "messages is required",
            "{\"model\":\"ticket-triage\",\"messages\":[]}", "messages must be a non-empty array",
            "{\"model\":\"ticket-triage\",\"messages\":[{\"content\":\"hi\"}]}",
                "messages[0].role must be a string",
            "{\"model\":42,\"messages\":[]}", "model must be a non-empty string",
            "{\"model\":\"ticket-triage\",", "The body is not valid JSON",
            "[1,2]", "The body must be a JSON object");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      GatewayFixture.Answer a = f.post("/v1/chat/completions", c.getKey());
      assertEquals(400, a.status(), c.getKey());
      assertTrue(a.errorMessage().startsWith(c.getValue()), c.getKey() + " -> " + a.errorMessage());
    }
    assertEquals(0, provider.getRequestCount());
    assertEquals(List.of(), f.rows("traces"));
  }

  @Test
  void aStreamedAnswerIsRelayedAsItComesAndTracedFromItsDeltas() throws Exception {
    String events =
        """
        data: {"choices":[{"delta":{"role":"assistant","content":"Write to "}}]}

        data: {"choices":[{"delta":{"content":"ops@example.com"}}]}

        data: {"choices":[{"delta":{"content":" today"}}]}

        data: {"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5}}

        data: [DONE]

        """;
    provider.enqueue(
        new MockResponse().setHeader("Content-Type", "text/event-stream").setBody(events));
    String body =
        "{\"model\":\"ticket-triage@1\",\"stream\":true,\"stream_options\":"
            + "{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":"
            + "\"who do I write to? I am "
            + EMAIL
            + "\"}]}";

    String traceId;
    try (Response r =
        f.http
            .newCall(
                new Request.Builder()
                    .url(f.gateway.baseUrl() + "/chat/completions")
                    .header("Authorization", "Bearer " + f.token)
                    .post(RequestBody.create(body, MediaType.get("application/json")))
                    .build())
            .execute()) {
      assertEquals(200, r.code());
      assertTrue(r.header("Content-Type").startsWith("text/event-stream"));
      assertEquals(events, r.body().string(), "every event relayed as the provider sent it");
      traceId = r.header(GatewayServer.TRACE_HEADER);
    }
    JsonNode sent = GatewayFixture.JSON.readTree(provider.takeRequest().getBody().readUtf8());
    assertEquals("ft:local-small:t:1", sent.path("model").asText());
    assertTrue(sent.path("stream").asBoolean());

    f.awaitTraces();
    Map<String, String> trace = f.rows("traces").get(0);
    assertEquals(traceId, trace.get("id"));
    assertEquals("Write to [email] today", trace.get("output"));
    assertEquals("12", trace.get("prompt_tokens"));
    assertEquals("5", trace.get("completion_tokens"));
    assertEquals("ok", trace.get("status"));
    assertFalse(trace.get("input").contains(EMAIL), trace.get("input"));
  }

  @Test
  void aStreamTheProviderBreaksOffEndsWithAnErrorEventAndIsTracedAsAProviderError()
      throws Exception {
    StringBuilder events = new StringBuilder();
    for (int i = 0; i < 2_000; i++) {
      events.append("data: {\"choices\":[{\"delta\":{\"content\":\"word \"}}]}\n\n");
    }
    provider.enqueue(
        new MockResponse()
            .setHeader("Content-Type", "text/event-stream")
            .setBody(events.toString())
            .setSocketPolicy(SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY));
    String body =
        "{\"model\":\"ticket-triage\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    String received;
    try (Response r =
        f.http
            .newCall(
                new Request.Builder()
                    .url(f.gateway.baseUrl() + "/chat/completions")
                    .header("Authorization", "Bearer " + f.token)
                    .post(RequestBody.create(body, MediaType.get("application/json")))
                    .build())
            .execute()) {
      assertEquals(200, r.code(), "the stream had started");
      received = r.body().string();
    }
    assertTrue(received.startsWith("data: {\"choices\""), received);
    String last = received.strip().substring(received.strip().lastIndexOf("\n") + 1);
    JsonNode error = GatewayFixture.JSON.readTree(last.substring("data: ".length()));
    assertEquals("provider_error", error.path("error").path("type").asText(), last);
    assertTrue(error.path("error").path("message").asText().contains("broke off"), last);
    f.awaitTraces();
    Map<String, String> trace = f.rows("traces").get(0);
    assertEquals("provider_error", trace.get("status"));
    assertTrue(trace.get("output").startsWith("word word "), "what went by is kept");
  }

  @Test
  void aStreamTheProviderRefusesIs502AndAStreamFlagThatIsNotABooleanIs400() throws Exception {
    provider.enqueue(
        new MockResponse()
            .setResponseCode(503)
            .setBody("{\"error\":{\"message\":\"overloaded\"}}"));
    GatewayFixture.Answer refused =
        f.post(
            "/v1/chat/completions",
            "{\"model\":\"ticket-triage\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    GatewayFixture.Answer bad =
        f.post(
            "/v1/chat/completions",
            "{\"model\":\"ticket-triage\",\"stream\":\"yes\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertEquals(502, refused.status());
    assertTrue(refused.errorMessage().contains("overloaded"), refused.errorMessage());
    assertEquals(400, bad.status());
    assertEquals("stream must be true or false", bad.errorMessage());
    f.awaitTraces();
    assertEquals("provider_error", f.rows("traces").get(0).get("status"));
  }

  @Test
  void aProviderFailureIs502WithTheProvidersMessageAndIsTraced() throws Exception {
    provider.enqueue(
        new MockResponse()
            .setResponseCode(400)
            .setBody(
                "{\"error\":{\"message\":\"max_tokens is too large\",\"type\":"
                    + "\"invalid_request_error\",\"code\":\"bad_param\"}}"));

    GatewayFixture.Answer a = f.post("/v1/chat/completions", chat("ticket-triage", "hi"));

    assertEquals(502, a.status());
    assertEquals("provider_error", a.body().path("error").path("type").asText());
    assertTrue(a.errorMessage().contains("max_tokens is too large"), a.errorMessage());
    assertNotNull(a.traceId());
    f.awaitTraces();
    Map<String, String> trace = f.rows("traces").get(0);
    assertEquals(a.traceId(), trace.get("id"));
    assertEquals("provider_error", trace.get("status"));
    assertNull(trace.get("output"));
  }

  @Test
  void otherEndpointsAndMethodsAreRefusedInOpenAisErrorFormat() throws Exception {
    GatewayFixture.Answer a = f.post("/v1/embeddings", "{}");
    assertEquals(404, a.status());
    assertTrue(a.errorMessage().contains("POST /v1/chat/completions"), a.errorMessage());
    try (Response r =
        f.http
            .newCall(
                new Request.Builder()
                    .url(f.gateway.baseUrl() + "/chat/completions")
                    .header("Authorization", "Bearer " + f.token)
                    .get()
                    .build())
            .execute()) {
      assertEquals(405, r.code());
      assertTrue(r.body().string().contains("takes POST"));
    }
  }

  @Test
  void closeWritesTheTracesOfAnsweredCalls() throws Exception {
    for (int i = 0; i < 20; i++) {
      provider.enqueue(new MockResponse().setBody(ANSWER));
    }
    for (int i = 0; i < 20; i++) {
      assertEquals(200, f.post("/v1/chat/completions", chat("ticket-triage", "hi " + i)).status());
    }
    f.gateway.close();
    assertEquals(20, f.rows("traces").size());
  }

  @Test
  void concurrentCallsEachGetTheirOwnTraceAndAllAreWritten() throws Exception {
    provider.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            return new MockResponse().setBody(ANSWER);
          }
        });
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> ids = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String body = chat("ticket-triage", "call " + i);
        ids.add(
            pool.submit(
                () -> {
                  GatewayFixture.Answer a = f.post("/v1/chat/completions", body);
                  assertEquals(200, a.status());
                  return a.traceId();
                }));
      }
      Set<String> returned = new HashSet<>();
      for (Future<String> id : ids) {
        returned.add(id.get());
      }
      f.gateway.close();

      assertEquals(200, returned.size(), "one trace id per call");
      Set<String> stored = new HashSet<>();
      f.rows("traces").forEach(r -> stored.add(r.get("id")));
      assertEquals(returned, stored);
    } finally {
      pool.shutdownNow();
    }
  }
}
