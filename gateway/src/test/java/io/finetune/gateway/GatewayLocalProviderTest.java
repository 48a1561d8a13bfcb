package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.provider.local.LocalProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway in front of the embedded local provider: a real model answers. */
class GatewayLocalProviderTest {
  @TempDir Path storage;

  @Test
  void anAppTalksToTheRegistryNameAndGetsTheModelsAnswer() throws Exception {
    try (LocalProvider provider = LocalProvider.start(0, storage);
        GatewayFixture f = new GatewayFixture(provider.baseUrl(), List.of())) {
      f.promote("ticket-triage", "local-small");
      String prompt =
          "You triage tickets. Answer with a JSON object {\"category\": ...}.\n"
              + "category:\n- billing: refund, charged, invoice\n- technical (default): crash, error";
      var request = GatewayFixture.JSON.createObjectNode().put("model", "ticket-triage");
      var messages = request.putArray("messages");
      messages.addObject().put("role", "system").put("content", prompt);
      messages
          .addObject()
          .put("role", "user")
          .put("content", "I was charged twice, write to ann@example.com");
      GatewayFixture.Answer a = f.post("/v1/chat/completions", request.toString());

      assertEquals(200, a.status(), String.valueOf(a.body()));
      String content = a.body().path("choices").path(0).path("message").path("content").asText();
      assertTrue(content.contains("billing"), content);
      f.awaitTraces();
      Map<String, String> trace = f.rows("traces").get(0);
      assertEquals(a.traceId(), trace.get("id"));
      assertEquals(content, trace.get("output"));
      assertTrue(Long.parseLong(trace.get("prompt_tokens")) > 0, "the provider's usage");
      assertTrue(trace.get("input").contains("write to [email]"), trace.get("input"));
      assertFalse(trace.get("input").contains("ann@example.com"));
    }
  }
}
