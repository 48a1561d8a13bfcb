package io.finetune.activities.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.common.Failures;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProviderClientTest {
  /** Short waits, so that the tests of waiting are quick. */
  private static final RetryPolicy QUICK_RETRIES =
      new RetryPolicy(Duration.ofSeconds(2), Duration.ofMillis(10), Duration.ofMillis(100));

  private MockWebServer server;
  private ProviderClient client;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
    client =
        new Providers(
                List.of(
                    new ProviderConfig(
                        "p", server.url("/v1").toString(), "sk-secret", 100, QUICK_RETRIES)))
            .client("p");
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  @Test
  void chatSendsTheKeyAndReturnsTheAnswer() throws Exception {
    server.enqueue(
        new MockResponse()
            .setBody("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}]}"));
    assertEquals("hi", client.chat("m", "sys", "user"));
    RecordedRequest r = server.takeRequest();
    assertEquals("/v1/chat/completions", r.getPath());
    assertEquals("Bearer sk-secret", r.getHeader("Authorization"));
    assertTrue(r.getBody().readUtf8().contains("\"role\":\"system\""));
  }

  @Test
  void forwardChatSendsTheClientsRequestToTheGivenModelAndReturnsTheWholeAnswer() throws Exception {
    server.enqueue(
        new MockResponse()
            .setBody(
                "{\"id\":\"c1\",\"model\":\"ft:x\",\"choices\":[{\"message\":{\"role\":"
                    + "\"assistant\",\"content\":\"hi\"}}],\"usage\":{\"prompt_tokens\":7,"
                    + "\"completion_tokens\":2,\"total_tokens\":9}}"));
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    var request =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            mapper.readTree(
                "{\"model\":\"triage\",\"temperature\":0.7,\"max_tokens\":5,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");

    ProviderClient.ForwardedChat answer = client.forwardChat(request, "ft:x", null);

    assertEquals("c1", answer.response().path("id").asText());
    assertEquals(7, answer.promptTokens());
    assertEquals(2, answer.completionTokens());
    assertTrue(answer.latencyMillis() > 0);
    var sent = mapper.readTree(server.takeRequest().getBody().readUtf8());
    assertEquals("ft:x", sent.path("model").asText());
    assertEquals(0.7, sent.path("temperature").asDouble());
    assertEquals(5, sent.path("max_tokens").asInt());
    assertEquals("hello", sent.path("messages").path(0).path("content").asText());
    assertEquals("triage", request.path("model").asText(), "the client's request is not changed");
  }

  @Test
  void rateLimitIsRetriedAfterTheDelayTheProviderAsks() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(429)
            .setHeader("Retry-After", "7")
            .setBody("{\"error\":{\"message\":\"slow down\"}}"));
    ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> client.chat("m", "", "u"));
    assertFalse(f.isNonRetryable());
    assertEquals(Failures.PROVIDER_UNAVAILABLE, f.getType());
    assertEquals(Duration.ofSeconds(7), f.getNextRetryDelay());
  }

  @Test
  void aRateLimitThatAsksForLittleIsWaitedOutInsideTheRequest() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(429)
            .setHeader("x-ratelimit-reset-requests", "20ms")
            .setBody("{\"error\":{\"message\":\"slow down\"}}"));
    server.enqueue(
        new MockResponse()
            .setBody("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}]}"));
    assertEquals("hi", client.chat("m", "", "u"));
    assertEquals(2, server.getRequestCount());
  }

  @Test
  void outagesAndDroppedConnectionsAreRidOutWithBackoff() {
    server.enqueue(new MockResponse().setResponseCode(503).setBody("down"));
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
    server.enqueue(new MockResponse().setResponseCode(500).setBody("oops"));
    server.enqueue(new MockResponse().setBody("{\"data\":[]}"));
    assertEquals(0, client.get("files", client.url("files")).path("data").size());
    assertEquals(4, server.getRequestCount());
  }

  @Test
  void pastTheBudgetTheActivityFailsRetryably() {
    for (int i = 0; i < 500; i++) {
      server.enqueue(new MockResponse().setResponseCode(503).setBody("down"));
    }
    long started = System.nanoTime();
    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () -> client.get("fine_tuning/jobs/{id}", client.url("fine_tuning/jobs/j")));
    assertFalse(f.isNonRetryable());
    assertEquals(Failures.PROVIDER_UNAVAILABLE, f.getType());
    assertTrue(server.getRequestCount() > 2, "it tried again: " + server.getRequestCount());
    assertTrue(
        System.nanoTime() - started >= Duration.ofMillis(1_500).toNanos(),
        "it waited up to its budget");
  }

  @Test
  void aRequestThatCreatesSomethingIsNotRepeatedAfterAnOutage() {
    server.enqueue(new MockResponse().setResponseCode(500).setBody("oops"));
    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () ->
                client.postJson(
                    "fine_tuning/jobs",
                    client.url("fine_tuning/jobs"),
                    new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()));
    assertFalse(f.isNonRetryable(), "the activity retries, after looking for the job");
    assertEquals(1, server.getRequestCount(), "the provider may have created it");
  }

  @Test
  void refusalsAreNotRetriedAndSayWhy() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(400)
            .setBody(
                "{\"error\":{\"message\":\"bad model\",\"code\":\"model_not_available\","
                    + "\"param\":\"model\"}}"));
    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () -> client.get("fine_tuning/jobs/{id}", client.url("fine_tuning/jobs/ftjob-1")));
    assertTrue(f.isNonRetryable());
    assertEquals(Failures.PROVIDER_REJECTED, f.getType());
    assertTrue(
        f.getOriginalMessage()
            .contains(
                "answered 400 to GET /v1/fine_tuning/jobs/ftjob-1: bad model"
                    + " [code=model_not_available] [param=model]"),
        f.getOriginalMessage());
    assertFalse(f.getOriginalMessage().contains("sk-secret"));
  }

  @Test
  void anUnknownProviderIsAClearNonRetryableError() {
    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> new Providers(List.of()).client("together"));
    assertTrue(f.isNonRetryable());
    assertTrue(f.getOriginalMessage().contains("finetune.providers.together.base-url"));
  }

  @Test
  void theKeyNeverShowsInToString() {
    assertFalse(client.config().toString().contains("sk-secret"));
    assertFalse(client.toString().contains("sk-secret"));
  }
}
