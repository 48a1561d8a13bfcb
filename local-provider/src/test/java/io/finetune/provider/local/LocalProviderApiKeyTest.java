package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A provider started with a key answers only the requests that carry it, as a real one does. */
class LocalProviderApiKeyTest {
  private static final String KEY = "sk-local-0123456789abcdef";
  @TempDir Path storage;
  private LocalProvider provider;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    if (provider != null) {
      provider.close();
    }
  }

  private HttpResponse<String> call(String method, String path, String authorization, String body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(provider.baseUrl() + path));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.header("Content-Type", "application/json").build(), ofString());
  }

  private static HttpResponse.BodyHandler<String> ofString() {
    return HttpResponse.BodyHandlers.ofString();
  }

  @Test
  void onlyRequestsWithTheKeyAreAnswered() throws Exception {
    provider = LocalProvider.start(0, storage, Chaos.NONE, ServingLatency.DEFAULT, 0, KEY);

    HttpResponse<String> none = call("GET", "/models", null, null);
    assertEquals(401, none.statusCode(), none.body());
    assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
    assertEquals(
        "invalid_api_key", new ObjectMapper().readTree(none.body()).at("/error/code").asText());

    String wrong = "sk-wrong-" + "9".repeat(20);
    HttpResponse<String> refused = call("GET", "/models", "Bearer " + wrong, null);
    assertEquals(401, refused.statusCode(), refused.body());
    assertFalse(refused.body().contains(wrong), "the key sent is not echoed: " + refused.body());
    assertFalse(refused.body().contains(KEY), refused.body());
    assertEquals(401, call("GET", "/models", "Basic " + KEY, null).statusCode());
    assertEquals(401, call("GET", "/models", "Bearer " + KEY + "x", null).statusCode());

    assertEquals(200, call("GET", "/models", "Bearer " + KEY, null).statusCode());
    HttpResponse<String> chat =
        call(
            "POST",
            "/chat/completions",
            "bearer " + KEY,
            "{\"model\":\"local-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, chat.statusCode(), chat.body());
  }

  @Test
  void withoutAKeyEveryRequestIsAnswered() throws Exception {
    provider = LocalProvider.start(0, storage, Chaos.NONE, ServingLatency.DEFAULT, 0, null);
    assertEquals(200, call("GET", "/models", null, null).statusCode());
    assertEquals(200, call("GET", "/models", "Bearer anything", null).statusCode());
  }
}
