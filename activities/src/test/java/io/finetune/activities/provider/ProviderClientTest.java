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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProviderClientTest {
  private MockWebServer server;
  private ProviderClient client;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
    client =
        new Providers(
                List.of(new ProviderConfig("p", server.url("/v1").toString(), "sk-secret", 100)))
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
  void refusalsAreNotRetriedAndSayWhy() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(400)
            .setBody(
                "{\"error\":{\"message\":\"bad model\",\"code\":\"model_not_available\","
                    + "\"param\":\"model\"}}"));
    ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> client.getJob("ftjob-1"));
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
  void outagesAreRetried() {
    server.enqueue(new MockResponse().setResponseCode(503).setBody("down"));
    ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> client.listFiles());
    assertFalse(f.isNonRetryable());
    assertEquals(Failures.PROVIDER_UNAVAILABLE, f.getType());
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
