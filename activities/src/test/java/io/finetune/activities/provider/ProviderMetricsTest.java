package io.finetune.activities.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.finetune.activities.provider.ProviderMetrics.Exchange;
import io.finetune.activities.provider.ProviderMetrics.Outcome;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every request is reported once, by path template (never an id), status and outcome. */
class ProviderMetricsTest {
  private final List<Exchange> recorded = new CopyOnWriteArrayList<>();
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
                        "p", server.url("/v1").toString(), "k", 100, RetryPolicy.NONE)),
                recorded::add)
            .client("p");
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  @Test
  void eachRequestIsReportedWithItsTemplateStatusAndOutcome() throws Exception {
    server.enqueue(
        new MockResponse()
            .setBody("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}]}"));
    server.enqueue(new MockResponse().setResponseCode(404).setBody("{}"));
    server.enqueue(new MockResponse().setResponseCode(429).setBody("{}"));
    server.enqueue(new MockResponse().setResponseCode(503).setBody("down"));

    client.chat("m", "s", "u");
    assertThrows(
        ApplicationFailure.class,
        () -> client.get("fine_tuning/jobs/{id}", client.url("fine_tuning/jobs/ftjob-123")));
    assertThrows(
        ApplicationFailure.class,
        () ->
            client.postJson(
                "fine_tuning/jobs/{id}/cancel",
                client.url("fine_tuning/jobs/ftjob-123/cancel"),
                JsonNodeFactory.instance.objectNode()));
    assertThrows(ApplicationFailure.class, () -> client.get("files", client.url("files")));
    server.shutdown();
    assertThrows(
        ApplicationFailure.class,
        () -> client.get("fine_tuning/jobs", client.url("fine_tuning/jobs?limit=1")));

    assertEquals(5, recorded.size(), recorded.toString());
    assertExchange(recorded.get(0), "POST", "chat/completions", 200, Outcome.SUCCESS);
    assertExchange(recorded.get(1), "GET", "fine_tuning/jobs/{id}", 404, Outcome.REJECTED);
    assertExchange(
        recorded.get(2), "POST", "fine_tuning/jobs/{id}/cancel", 429, Outcome.UNAVAILABLE);
    assertExchange(recorded.get(3), "GET", "files", 503, Outcome.UNAVAILABLE);
    assertExchange(recorded.get(4), "GET", "fine_tuning/jobs", 0, Outcome.UNAVAILABLE);
    recorded.forEach(e -> assertTrue(e.nanos() > 0, e.toString()));
  }

  private static void assertExchange(
      Exchange e, String method, String endpoint, int status, Outcome outcome) {
    assertEquals(new Exchange("p", method, endpoint, status, outcome, e.nanos()), e, e.toString());
  }
}
