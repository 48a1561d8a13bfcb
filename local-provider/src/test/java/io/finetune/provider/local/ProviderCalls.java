package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Calls to a running provider over real HTTP, as clients of the OpenAI API make them. */
final class ProviderCalls {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  // Asked at every call: tests restart the provider, which then listens on another port.
  private final Supplier<String> baseUrl;

  ProviderCalls(Supplier<String> baseUrl) {
    this.baseUrl = baseUrl;
  }

  record Reply(int status, JsonNode body) {}

  Reply call(String method, String path, String contentType, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl.get() + path));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", contentType)
          .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), JSON.readTree(r.body()));
  }

  Reply get(String path) throws IOException, InterruptedException {
    return call("GET", path, null, null);
  }

  Reply post(String path, String json) throws IOException, InterruptedException {
    return call("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  /** Uploads {@code content} with purpose fine-tune; its file id. */
  String upload(String content) throws IOException, InterruptedException {
    String boundary = "b0undary";
    String body =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
            + "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n"
            + "Content-Type: application/jsonl\r\n\r\n"
            + content
            + "\r\n--"
            + boundary
            + "--\r\n";
    Reply r =
        call(
            "POST",
            "/files",
            "multipart/form-data; boundary=" + boundary,
            body.getBytes(StandardCharsets.UTF_8));
    assertEquals(200, r.status(), r.body().toString());
    return r.body().get("id").asText();
  }

  /** The job once it has succeeded, failed or been cancelled. */
  JsonNode awaitJob(String id) throws Exception {
    for (int i = 0; i < 400; i++) {
      JsonNode job = get("/fine_tuning/jobs/" + id).body();
      String status = job.get("status").asText();
      if (status.equals("succeeded") || status.equals("failed") || status.equals("cancelled")) {
        return job;
      }
      Thread.sleep(25);
    }
    throw new AssertionError("job " + id + " never finished");
  }

  /** The answer of {@code model} to one user message. */
  Reply chat(String model, String user) throws IOException, InterruptedException {
    return post(
        "/chat/completions",
        JSON.createObjectNode()
            .put("model", model)
            .set(
                "messages",
                JSON.createArrayNode()
                    .add(JSON.createObjectNode().put("role", "user").put("content", user)))
            .toString());
  }

  /** SFT lines: each row's user message (numbered from {@code from}) and its JSON answer. */
  static String sftFile(String[][] rows, int from, int count) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < from + count; i++) {
      String[] r = rows[i % rows.length];
      sb.append(
          String.format(
              "{\"messages\":[{\"role\":\"system\",\"content\":\"Classify.\"},"
                  + "{\"role\":\"user\",\"content\":\"%s %d\"},"
                  + "{\"role\":\"assistant\",\"content\":\"{\\\"label\\\":\\\"%s\\\"}\"}]}%n",
              r[0], i, r[1]));
    }
    return sb.toString();
  }

  static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
