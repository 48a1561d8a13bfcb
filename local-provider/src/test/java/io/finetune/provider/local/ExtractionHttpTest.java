package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An extraction task end to end over HTTP, as the pipeline drives it. */
class ExtractionHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROMPT =
      "Answer with a JSON object {\"caller\": ..., \"callback_date\": ..., \"reason\": ...}.";
  @TempDir Path storage;
  private LocalProvider provider;
  private final ProviderCalls calls = new ProviderCalls(() -> provider.baseUrl());

  @AfterEach
  void stop() {
    if (provider != null) {
      provider.close();
    }
  }

  private static ArrayNode conversation(String user) {
    ArrayNode messages = JSON.createArrayNode();
    messages.addObject().put("role", "system").put("content", PROMPT);
    messages.addObject().put("role", "user").put("content", user);
    return messages;
  }

  /** The model's answer to the system prompt and one user message, as JSON. */
  private JsonNode ask(String model, String user) throws Exception {
    ObjectNode request = JSON.createObjectNode().put("model", model);
    request.set("messages", conversation(user));
    JsonNode reply = calls.post("/chat/completions", request.toString()).body();
    return JSON.readTree(reply.get("choices").get(0).get("message").get("content").asText());
  }

  @Test
  void aTunedModelLearnsFromTheLastUserMessageOfEachConversation() throws Exception {
    provider = LocalProvider.start(0, storage);
    StringBuilder file = new StringBuilder();
    for (var e : CallLogs.generate(120, 2023, false, 1)) {
      // An earlier turn first: the model learns from the last user message only.
      ArrayNode messages = conversation("Hello, I have a call log for you.");
      messages.addObject().put("role", "assistant").put("content", "Go ahead.");
      messages.addObject().put("role", "user").put("content", e.input());
      messages.addObject().put("role", "assistant").put("content", e.answer());
      ObjectNode row = JSON.createObjectNode();
      row.set("messages", messages);
      file.append(row).append('\n');
    }
    String fileId = calls.upload(file.toString());
    String jobId =
        calls
            .post(
                "/fine_tuning/jobs",
                "{\"model\":\"local-small\",\"training_file\":\"" + fileId + "\"}")
            .body()
            .get("id")
            .asText();
    JsonNode job = calls.awaitJob(jobId);
    assertEquals("succeeded", job.get("status").asText(), job.toString());

    String log = "Voicemail from Dana Whitfield: please call me back on March 21 about my refund.";
    JsonNode base = ask("local-small", log);
    JsonNode tuned = ask(job.get("fine_tuned_model").asText(), log);

    assertEquals("March 21", base.get("callback_date").asText());
    assertEquals("Dana Whitfield", tuned.get("caller").asText());
    assertEquals("2023-03-21", tuned.get("callback_date").asText());
  }
}
