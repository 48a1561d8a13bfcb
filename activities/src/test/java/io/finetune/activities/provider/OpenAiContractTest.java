package io.finetune.activities.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.activities.training.FineTuningApi;
import io.finetune.activities.training.FineTuningApi.Checkpoint;
import io.finetune.activities.training.FineTuningApi.FineTuningJob;
import io.finetune.activities.training.FineTuningApi.State;
import io.finetune.activities.training.TrainingActivitiesImpl;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.training.TrainingActivities.StartJobRequest;
import io.temporal.failure.ApplicationFailure;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 * OpenAPI spec, see resources/openai), and the answers our mocks give against its response schemas
 * and examples, so that neither the client nor our mocks drift from the real API. Discriminators
 * there have no mapping: validation goes through oneOf alone.
 */
class OpenAiContractTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "sk-contract-secret";
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
        new Providers(List.of(new ProviderConfig("p", server.url("/v1").toString(), KEY, 100)));
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

  /**
   * The example the spec gives for {@code schemaName}. The job's leaves out {@code error}, which
   * the schema requires (null until a job fails): added here, as the API sends it.
   */
  private static ObjectNode example(String schemaName) throws Exception {
    ObjectNode example =
        (ObjectNode)
            JSON.readTree(
                spec.path("components")
                    .path("schemas")
                    .path(schemaName)
                    .path("x-oaiMeta")
                    .path("example")
                    .asText());
    if (schemaName.equals("FineTuningJob") && !example.has("error")) {
      example.putNull("error");
    }
    return example;
  }

  @Test
  void theDocumentedJobAndCheckpointsAreRead() throws Exception {
    ObjectNode job = example("FineTuningJob");
    assertEquals(Set.of(), validate("FineTuningJob", job));
    ObjectNode checkpoints = JSON.createObjectNode().put("object", "list").put("has_more", false);
    checkpoints.putArray("data").add(example("FineTuningJobCheckpoint"));
    assertEquals(Set.of(), validate("ListFineTuningJobCheckpointsResponse", checkpoints));
    server.enqueue(new MockResponse().setBody(job.toString()));
    server.enqueue(new MockResponse().setBody(checkpoints.toString()));
    FineTuningApi api = FineTuningApi.of(providers.client("p"));

    assertEquals(
        new FineTuningJob(
            "ftjob-abc123",
            State.SUCCEEDED,
            "succeeded",
            "davinci-002",
            "file-abc123",
            "ft:davinci-002:my-org:custom_suffix:7q8mpxmy",
            5768L,
            null,
            null),
        api.get("ftjob-abc123"));
    Checkpoint checkpoint = api.checkpoints("ftjob-abc123").get(0);
    assertEquals(
        "ft:gpt-4o-mini-2024-07-18:my-org:custom_suffix:9ABel2dg:ckpt-step-88",
        checkpoint.modelId());
    assertEquals(88, checkpoint.step());
    assertEquals(0.478, checkpoint.metrics().get("train_loss"));
    assertEquals(7, checkpoint.metrics().size());
    assertEquals("/v1/fine_tuning/jobs/ftjob-abc123/checkpoints?limit=100", lastPath());
  }

  @Test
  void everyDocumentedStatusIsUnderstoodAndAnUnknownOneKeepsThePollGoing() throws Exception {
    Map<String, State> expected = new LinkedHashMap<>();
    expected.put("validating_files", State.RUNNING);
    expected.put("queued", State.RUNNING);
    expected.put("running", State.RUNNING);
    expected.put("succeeded", State.SUCCEEDED);
    expected.put("failed", State.FAILED);
    expected.put("cancelled", State.CANCELLED);
    Set<String> documented = new TreeSet<>();
    spec.path("components")
        .path("schemas")
        .path("FineTuningJob")
        .path("properties")
        .path("status")
        .path("enum")
        .forEach(s -> documented.add(s.asText()));
    assertEquals(documented, new TreeSet<>(expected.keySet()), "every documented status");
    expected.put("paused", State.RUNNING); // pausing exists; its status is not documented yet

    FineTuningApi api = FineTuningApi.of(providers.client("p"));
    for (var e : expected.entrySet()) {
      ObjectNode job = example("FineTuningJob").put("status", e.getKey());
      if (e.getKey().equals("failed")) {
        job.putObject("error")
            .put("code", "invalid_training_file")
            .put("message", "The file has 3 examples; at least 10 are required.")
            .putNull("param");
      }
      assertEquals(documented.contains(e.getKey()), validate("FineTuningJob", job).isEmpty());
      server.enqueue(new MockResponse().setBody(job.toString()));
      FineTuningJob read = api.get("ftjob-abc123");
      assertEquals(e.getValue(), read.state(), e.getKey());
      if (e.getKey().equals("failed")) {
        assertEquals("invalid_training_file", read.errorCode());
        assertEquals("The file has 3 examples; at least 10 are required.", read.errorMessage());
      }
    }
  }

  @Test
  void documentedErrorBodiesAreRefusalsNamingProviderEndpointStatusAndMessage() throws Exception {
    ObjectNode error = JSON.createObjectNode();
    error
        .putObject("error")
        .put("message", "File file-1 is not a valid training file")
        .put("type", "invalid_request_error")
        .put("param", "training_file")
        .put("code", "invalid_file");
    assertEquals(Set.of(), validate("ErrorResponse", error));
    server.enqueue(new MockResponse().setBody("{\"object\":\"list\",\"data\":[]}"));
    server.enqueue(new MockResponse().setResponseCode(400).setBody(error.toString()));
    TrainingActivitiesImpl training = new TrainingActivitiesImpl(new ArtifactStore(dir), providers);

    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () ->
                training.startJob(
                    new StartJobRequest("p", "gpt-4.1-mini", "file-1", "triage", 7, 3, "run-1")));
    assertTrue(f.isNonRetryable());
    assertEquals(Failures.PROVIDER_REJECTED, f.getType());
    assertEquals(
        "Provider 'p' answered 400 to POST /v1/fine_tuning/jobs: File file-1 is not a valid"
            + " training file [code=invalid_file] [param=training_file]",
        f.getOriginalMessage());
    assertFalse(f.getOriginalMessage().contains(KEY));
    assertEquals(2, server.getRequestCount(), "a refusal is not repeated");
  }

  @Test
  void aRateLimitResetLongerThanTheBudgetIsHandedToTemporal() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(429)
            .setHeader("x-ratelimit-reset-requests", "6m0s")
            .setHeader("x-ratelimit-reset-tokens", "1s")
            .setBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}"));
    FineTuningApi api = FineTuningApi.of(providers.client("p"));

    ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> api.get("ftjob-1"));
    assertFalse(f.isNonRetryable());
    assertEquals(Failures.PROVIDER_UNAVAILABLE, f.getType());
    assertEquals(Duration.ofMinutes(6), f.getNextRetryDelay(), "the longer reset");
    assertEquals(1, server.getRequestCount(), "not waited out inside the 30 s budget");
  }

  @Test
  void retryAfterComesBeforeTheRateLimitResets() throws Exception {
    server.enqueue(
        new MockResponse()
            .setResponseCode(429)
            .setHeader("Retry-After", "1")
            .setHeader("x-ratelimit-reset-requests", "6m0s")
            .setBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}"));
    server.enqueue(new MockResponse().setBody(example("FineTuningJob").toString()));

    long started = System.nanoTime();
    FineTuningJob job = FineTuningApi.of(providers.client("p")).get("ftjob-abc123");
    assertEquals(State.SUCCEEDED, job.state());
    assertEquals(2, server.getRequestCount(), "waited the second asked, then asked again");
    assertTrue(System.nanoTime() - started >= Duration.ofMillis(900).toNanos());
  }

  private String lastPath() throws InterruptedException {
    RecordedRequest last = null;
    for (RecordedRequest r = server.takeRequest(0, java.util.concurrent.TimeUnit.SECONDS);
        r != null;
        r = server.takeRequest(0, java.util.concurrent.TimeUnit.SECONDS)) {
      last = r;
    }
    return last == null ? null : last.getPath();
  }
}
