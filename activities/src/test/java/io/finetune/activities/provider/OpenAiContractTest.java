package io.finetune.activities.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.activities.training.TrainingActivitiesImpl;
import io.finetune.workflows.training.TrainingActivities.StartJobRequest;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bodies our client sends validate against OpenAI's published request schemas (a subset of its
 * OpenAPI spec, see resources/openai), so that neither the client nor our mocks drift from the real
 * API. Discriminators there have no mapping: validation goes through oneOf alone.
 */
class OpenAiContractTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static JsonNode spec;
  @TempDir Path dir;
  private MockWebServer server;
  private Providers providers;

  @BeforeAll
  static void loadSpec() throws Exception {
    try (InputStream in = OpenAiContractTest.class.getResourceAsStream("/openai/schemas.json")) {
      spec = JSON.readTree(in);
    }
    normalizeExclusiveBounds(spec);
  }

  /**
   * The spec says OpenAPI 3.1 (JSON Schema 2020-12) but writes some bounds draft-4 style, {@code
   * exclusiveMinimum: true} beside {@code minimum}; rewrite those to the 2020-12 form.
   */
  private static void normalizeExclusiveBounds(JsonNode node) {
    if (node instanceof ObjectNode o) {
      for (String[] pair :
          new String[][] {{"exclusiveMinimum", "minimum"}, {"exclusiveMaximum", "maximum"}}) {
        if (o.path(pair[0]).isBoolean()) {
          boolean exclusive = o.remove(pair[0]).asBoolean();
          if (exclusive && o.has(pair[1])) {
            o.set(pair[0], o.remove(pair[1]));
          }
        }
      }
      o.elements().forEachRemaining(OpenAiContractTest::normalizeExclusiveBounds);
    } else if (node != null && node.isArray()) {
      node.elements().forEachRemaining(OpenAiContractTest::normalizeExclusiveBounds);
    }
  }

  private static Set<ValidationMessage> validate(String schemaName, JsonNode body) {
    ObjectNode root = (ObjectNode) spec.deepCopy();
    root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    root.put("$ref", "#/components/schemas/" + schemaName);
    JsonSchema schema =
        JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(root);
    return schema.validate(body);
  }

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
    providers =
        new Providers(List.of(new ProviderConfig("p", server.url("/v1").toString(), "k", 100)));
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  @Test
  void chatCompletionRequestsMatchTheSpec() throws Exception {
    server.enqueue(
        new MockResponse().setBody("{\"choices\":[{\"message\":{\"content\":\"{}\"}}]}"));
    providers.client("p").chat("gpt-4.1-mini", "You triage tickets.", "My invoice is wrong");

    JsonNode body = JSON.readTree(server.takeRequest().getBody().readUtf8());
    assertEquals(Set.of(), validate("CreateChatCompletionRequest", body));
  }

  @Test
  void fineTuningJobRequestsMatchTheSpec() throws Exception {
    server.enqueue(new MockResponse().setBody("{\"object\":\"list\",\"data\":[]}"));
    server.enqueue(new MockResponse().setBody("{\"id\":\"ftjob-1\"}"));
    TrainingActivitiesImpl training = new TrainingActivitiesImpl(new ArtifactStore(dir), providers);
    for (Integer epochs : new Integer[] {3, null}) {
      training.startJob(
          new StartJobRequest("p", "gpt-4.1-mini", "file-1", "ticket-triage", 7, epochs, "run-1"));
      RecordedRequest list = server.takeRequest();
      assertTrue(list.getPath().startsWith("/v1/fine_tuning/jobs?metadata%5Bfinetune_attempt%5D="));
      JsonNode body = JSON.readTree(server.takeRequest().getBody().readUtf8());
      assertEquals(Set.of(), validate("CreateFineTuningJobRequest", body), body.toString());
      server.enqueue(new MockResponse().setBody("{\"object\":\"list\",\"data\":[]}"));
      server.enqueue(new MockResponse().setBody("{\"id\":\"ftjob-2\"}"));
    }
  }

  @Test
  void theSchemasDoCatchAWrongBody() throws Exception {
    JsonNode wrong =
        JSON.readTree(
            "{\"model\": 5, \"training_file\": \"f\", \"suffix\": \"" + "x".repeat(65) + "\"}");
    Set<ValidationMessage> errors = validate("CreateFineTuningJobRequest", wrong);
    assertFalse(errors.isEmpty());
    JsonNode noMessages = JSON.readTree("{\"model\": \"m\"}");
    assertFalse(validate("CreateChatCompletionRequest", noMessages).isEmpty());
  }
}
