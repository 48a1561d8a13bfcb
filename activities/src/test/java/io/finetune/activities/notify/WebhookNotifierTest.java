package io.finetune.activities.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.workflows.notify.NotificationActivities.Reminder;
import io.temporal.failure.ApplicationFailure;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;

class WebhookNotifierTest {
  private static final Reminder REMINDER =
      new Reminder(
          "run/1/data-review/2",
          "triage-1",
          "triage",
          "data-review",
          7200,
          3600L,
          "/store/report.md",
          "./finetune approve triage-1 --checkpoint data-review --by <you>");

  @Test
  void aReminderIsSlackStyleJsonWithItsFields() throws Exception {
    try (MockWebServer hook = new MockWebServer()) {
      hook.enqueue(new MockResponse().setBody("ok"));
      hook.start();

      assertTrue(
          new WebhookNotifier(hook.url("/services/T0/B0/secret").toString()).remind(REMINDER));

      RecordedRequest r = hook.takeRequest();
      assertEquals("POST", r.getMethod());
      JsonNode body = new ObjectMapper().readTree(r.getBody().readUtf8());
      assertEquals(
          "triage: checkpoint data-review of triage-1 has waited 2h 0m for a decision; the run"
              + " ends without it in 1h 0m. Data report: /store/report.md. Decide with:"
              + " ./finetune approve triage-1 --checkpoint data-review --by <you>",
          body.get("text").asText());
      assertEquals("run/1/data-review/2", body.get("key").asText());
      assertEquals(7200, body.get("waited_seconds").asLong());
    }
  }

  @Test
  void noWebhookSendsNothingAndSaysSo() {
    assertFalse(new WebhookNotifier("").remind(REMINDER));
    assertFalse(new WebhookNotifier(null).remind(REMINDER));
  }

  @Test
  void aRefusalNamesTheHostNotTheSecretUrl() throws Exception {
    try (MockWebServer hook = new MockWebServer()) {
      hook.enqueue(new MockResponse().setResponseCode(404));
      hook.start();
      String url = hook.url("/services/T0/B0/secret-token").toString();

      ApplicationFailure f =
          assertThrows(ApplicationFailure.class, () -> new WebhookNotifier(url).remind(REMINDER));

      assertTrue(f.isNonRetryable());
      assertTrue(f.getOriginalMessage().contains("answered 404"), f.getOriginalMessage());
      assertFalse(f.getOriginalMessage().contains("secret-token"), f.getOriginalMessage());
    }
  }
}
