package io.finetune.activities.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.notify.NotificationActivities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Reminders posted to one webhook (the worker's {@code finetune.notifications.webhook-url}): a JSON
 * object whose {@code text} is the message, which Slack's incoming webhooks show as it is, with the
 * reminder's fields beside it for any other receiver. The URL is a secret: it is never logged, and
 * errors name the host only.
 */
public class WebhookNotifier implements NotificationActivities {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");

  private final String url;
  private final OkHttpClient http;

  /** {@code url} null or blank: reminders are not sent (and {@link #remind} says so). */
  public WebhookNotifier(String url) {
    this.url = url == null || url.isBlank() ? null : url.trim();
    this.http =
        new OkHttpClient.Builder()
            .callTimeout(Duration.ofSeconds(20))
            .followRedirects(false)
            .build();
  }

  @Override
  public boolean remind(Reminder r) {
    if (url == null) {
      return false;
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("text", text(r));
    body.put("key", r.key());
    body.put("workflow_id", r.workflowId());
    body.put("model", r.model());
    body.put("checkpoint", r.checkpoint());
    body.put("waited_seconds", r.waitedSeconds());
    if (r.timeoutInSeconds() != null) {
      body.put("timeout_in_seconds", r.timeoutInSeconds());
    }
    if (r.report() != null) {
      body.put("report", r.report());
    }
    body.put("how_to_decide", r.howToDecide());
    Request request =
        new Request.Builder().url(url).post(RequestBody.create(body.toString(), JSON_TYPE)).build();
    String host = request.url().host();
    try (Response response = http.newCall(request).execute()) {
      if (response.isSuccessful()) {
        return true;
      }
      String why = "the webhook at " + host + " answered " + response.code();
      if (response.code() >= 400 && response.code() < 500 && response.code() != 429) {
        throw Failures.invalidInput(why + ": check finetune.notifications.webhook-url");
      }
      throw new IllegalStateException(why);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot reach the webhook at " + host, e);
    }
  }

  /** The message a person reads. */
  static String text(Reminder r) {
    StringBuilder sb =
        new StringBuilder()
            .append(r.model())
            .append(": checkpoint ")
            .append(r.checkpoint())
            .append(" of ")
            .append(r.workflowId())
            .append(" has waited ")
            .append(human(r.waitedSeconds()))
            .append(" for a decision");
    if (r.timeoutInSeconds() != null) {
      sb.append("; the run ends without it in ").append(human(r.timeoutInSeconds()));
    }
    sb.append(".");
    if (r.report() != null) {
      sb.append(" Data report: ").append(r.report()).append(".");
    }
    return sb.append(" Decide with: ").append(r.howToDecide()).toString();
  }

  private static String human(long seconds) {
    Duration d = Duration.ofSeconds(seconds);
    if (d.toDays() > 0) {
      return d.toDays() + "d " + d.toHoursPart() + "h";
    }
    if (d.toHours() > 0) {
      return d.toHours() + "h " + d.toMinutesPart() + "m";
    }
    return d.toMinutes() > 0 ? d.toMinutes() + "m" : seconds + "s";
  }
}
