package io.finetune.activities.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.activities.training.FineTuningApi.Checkpoint;
import io.finetune.activities.training.FineTuningApi.FineTuningJob;
import io.finetune.activities.training.FineTuningApi.State;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.training.TrainingActivities;
import io.finetune.workflows.training.TrainingActivities.AwaitJobRequest;
import io.finetune.workflows.training.TrainingActivities.JobProgress;
import io.finetune.workflows.training.TrainingActivities.StartJobRequest;
import io.finetune.workflows.training.TrainingActivities.UploadRequest;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.MediaType;
import okhttp3.MultipartReader;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Together AI's fine-tuning API as its reference documents it: the requests we send validate
 * against a schema written from that reference (resources/together, which cites its pages), and the
 * documented answers, every documented status among them and one that is not, are read without a
 * crash. A fake Together (below) checks every request and answers only in documented shapes; the
 * training activities run on it from upload to trained model.
 */
class TogetherContractTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = "tgp-secret-key";
  private static final String LLAMA_8B = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference";
  private static final String GOOD_LINE =
      "{\"messages\":[{\"role\":\"system\",\"content\":\"Classify.\"},"
          + "{\"role\":\"user\",\"content\":\"refund please\"},"
          + "{\"role\":\"assistant\",\"content\":\"{\\\"category\\\":\\\"billing\\\"}\"}]}";

  private static JsonNode schema;

  @TempDir Path dir;
  private MockWebServer server;
  private FakeTogether together;
  private Providers providers;
  private ArtifactStore store;

  @BeforeAll
  static void loadSchema() throws Exception {
    try (InputStream in =
        TogetherContractTest.class.getResourceAsStream("/together/fine-tuning.schema.json")) {
      schema = JSON.readTree(in);
    }
  }

  static Set<ValidationMessage> validate(String definition, JsonNode value) {
    ObjectNode root = schema.deepCopy();
    root.put("$ref", "#/$defs/" + definition);
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
        .getSchema(root)
        .validate(value);
  }

  @BeforeEach
  void setUp() throws Exception {
    together = new FakeTogether();
    server = new MockWebServer();
    server.setDispatcher(together);
    server.start();
    providers =
        new Providers(
            List.of(
                new ProviderConfig("together", server.url("/v1").toString(), KEY, 50)
                    .withApi(ProviderConfig.TOGETHER_API)));
    store = new ArtifactStore(dir);
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  private FineTuningApi api() {
    return FineTuningApi.of(providers.client("together"));
  }

  private ArtifactRef trainingFile() {
    return store.writeLines(
        "training-files", "jsonl", () -> Collections.nCopies(3, GOOD_LINE).iterator());
  }

  @Test
  void theSchemaCatchesAWrongBody() throws Exception {
    JsonNode wrong =
        JSON.readTree(
            "{\"training_file\": \"file-1\", \"epochs\": 3, \"suffix\": \""
                + "x".repeat(41)
                + "\"}");
    Set<ValidationMessage> errors = validate("CreateFineTuneRequest", wrong);
    String all = errors.toString();
    assertTrue(all.contains("model"), all); // missing
    assertTrue(all.contains("epochs"), all); // not a documented field
    assertTrue(all.contains("suffix"), all); // longer than 40
    assertFalse(validate("UploadFileForm", JSON.readTree("{\"purpose\": \"train\"}")).isEmpty());
    assertFalse(
        validate("FinetuneResponse", JSON.readTree("{\"id\": \"ft-1\", \"status\": \"done\"}"))
            .isEmpty());
  }

  @Test
  void createRequestsMatchTheReference() throws Exception {
    TrainingActivitiesImpl training = new TrainingActivitiesImpl(store, providers);
    String runKey = "train-small/8d6c3a52-0a4e-4c5e-a2c1-3f1b9c3c7f0e";
    for (Integer epochs : new Integer[] {3, null}) {
      training.startJob(
          new StartJobRequest(
              "together",
              LLAMA_8B,
              "file-" + epochs,
              "ticket-triage with a name far too long for a suffix",
              7,
              epochs,
              runKey));
    }
    assertEquals(List.of(), together.violations);
    assertEquals(2, together.creates.size());
    JsonNode withEpochs = together.creates.get(0);
    assertEquals(3, withEpochs.path("n_epochs").asInt());
    assertEquals(3, withEpochs.path("n_checkpoints").asInt(), "a checkpoint per epoch");
    assertEquals(7, withEpochs.path("random_seed").asLong());
    assertFalse(withEpochs.has("training_type"), "LoRA, Together's default");
    String suffix = withEpochs.path("suffix").asText();
    assertTrue(suffix.length() <= 40, suffix);
    assertTrue(suffix.endsWith("-" + TogetherFineTuning.runTag(runKey)), suffix);
    assertTrue(suffix.startsWith("ticket-triage-with-a-name"), suffix);
    assertFalse(together.creates.get(1).has("n_epochs"), "Together's default");
  }

  @Test
  void uploadsAreTheDocumentedMultipartForm() throws Exception {
    ArtifactRef file = trainingFile();
    String fileId =
        new TrainingActivitiesImpl(store, providers)
            .uploadTrainingFile(new UploadRequest("together", file, "run/1", LLAMA_8B));
    assertEquals(List.of(), together.violations);
    assertEquals(1, together.uploads.size());
    Map<String, String> form = together.uploads.get(0);
    assertEquals("fine-tune", form.get("purpose"));
    assertEquals("jsonl", form.get("file_type"));
    assertTrue(form.get("file_name").matches("finetune-[0-9a-f]{16}-[0-9a-f]{24}\\.jsonl"));
    assertEquals(form.get("file_name"), form.get("file"), "the file part carries its name");
    assertEquals(String.join("\n", Collections.nCopies(3, GOOD_LINE)) + "\n", together.content);
    assertEquals(fileId, together.files.get(0).path("id").asText());
    assertEquals("Bearer " + KEY, together.authorization);
  }

  @Test
  void theDocumentedJobIsRead() throws Exception {
    // The example of FinetuneResponseTruncated in Together's OpenAPI spec.
    ObjectNode documented =
        (ObjectNode)
            JSON.readTree(
                """
                {
                  "id": "ft-01234567890123456789",
                  "status": "completed",
                  "created_at": "2023-05-17T17:35:45.123Z",
                  "updated_at": "2023-05-17T18:46:23.456Z",
                  "user_id": "user_01234567890123456789",
                  "owner_address": "user@example.com",
                  "total_price": 1500,
                  "token_count": 850000,
                  "events": [],
                  "model": "meta-llama/Llama-2-7b-hf",
                  "model_output_name": "mynamespace/meta-llama/Llama-2-7b-hf-32162631",
                  "n_epochs": 3,
                  "training_file": "file-01234567890123456789",
                  "wandb_project_name": "my-finetune-project"
                }
                """);
    assertEquals(Set.of(), validate("FinetuneResponseTruncated", documented));
    together.canned.put("ft-01234567890123456789", documented);

    FineTuningJob job = api().get("ft-01234567890123456789");
    assertEquals(
        new FineTuningJob(
            "ft-01234567890123456789",
            State.SUCCEEDED,
            "completed",
            "meta-llama/Llama-2-7b-hf",
            "file-01234567890123456789",
            "mynamespace/meta-llama/Llama-2-7b-hf-32162631",
            850_000L,
            null,
            null),
        job);
    assertEquals("mynamespace/meta-llama/Llama-2-7b-hf-32162631", api().trainedModel(job));
  }

  @Test
  void everyDocumentedStatusIsUnderstoodAndAnUnknownOneKeepsThePollGoing() throws Exception {
    Map<String, State> expected = new LinkedHashMap<>();
    for (String running :
        List.of("pending", "queued", "running", "compressing", "uploading", "cancel_requested")) {
      expected.put(running, State.RUNNING);
    }
    expected.put("completed", State.SUCCEEDED);
    expected.put("error", State.FAILED);
    expected.put("cancelled", State.CANCELLED);
    Set<String> documented = new TreeSet<>();
    schema
        .path("$defs")
        .path("FinetuneJobStatus")
        .path("enum")
        .forEach(s -> documented.add(s.asText()));
    assertEquals(documented, new TreeSet<>(expected.keySet()), "every documented status, no other");
    expected.put("user_error", State.FAILED); // documented for evaluations; a bad file earns it
    expected.put("paused_for_maintenance", State.RUNNING); // not documented: must not crash

    for (var e : expected.entrySet()) {
      ObjectNode job =
          JSON.createObjectNode().put("id", "ft-" + e.getKey()).put("status", e.getKey());
      assertEquals(
          documented.contains(e.getKey()),
          validate("FinetuneResponse", job).isEmpty(),
          e.getKey() + " is documented iff the schema takes it");
      together.canned.put("ft-" + e.getKey(), job);
      FineTuningJob read = api().get("ft-" + e.getKey());
      assertEquals(e.getValue(), read.state(), e.getKey());
      assertEquals(e.getKey(), read.rawStatus());
      assertNull(read.trainedTokens());
    }
  }

  @Test
  void aFailedJobSaysWhyFromItsNewestErrorEvent() throws Exception {
    ObjectNode job =
        JSON.createObjectNode()
            .put("id", "ft-bad")
            .put("status", "error")
            .put("model", LLAMA_8B)
            .put("training_file", "file-1");
    ArrayNode events = job.putArray("events");
    events.add(event("2026-11-30T10:00:00Z", "job_pending", "info", "Job queued"));
    events.add(event("2026-11-30T10:01:00Z", "job_error", "error", "Old failure, retried"));
    events.add(event("2026-11-30T10:02:00Z", "job_error", "error", "Training data is invalid"));
    assertEquals(Set.of(), validate("FinetuneResponse", job));
    together.canned.put("ft-bad", job);

    TestActivityEnvironment env = TestActivityEnvironment.newInstance();
    try {
      env.registerActivitiesImplementations(new TrainingActivitiesImpl(store, providers));
      TrainingActivities activities = env.newActivityStub(TrainingActivities.class);
      ActivityFailure e =
          assertThrows(
              ActivityFailure.class,
              () -> activities.awaitJob(new AwaitJobRequest("together", "ft-bad")));
      ApplicationFailure cause = (ApplicationFailure) e.getCause();
      assertTrue(cause.isNonRetryable());
      assertEquals(Failures.TRAINING_FAILED, cause.getType());
      assertEquals(
          "Fine-tuning job ft-bad failed: Training data is invalid (code error)",
          cause.getOriginalMessage());
    } finally {
      env.close();
    }
  }

  @Test
  void eventsNewestFirstAndCheckpointsNamedAsTogethersClientNamesThem() throws Exception {
    ArrayNode events = JSON.createArrayNode();
    events.add(event("2026-11-30T10:00:00Z", "job_start", "info", "Job started"));
    events.add(event("2026-11-30T10:05:00Z", "epoch_complete", "info", "Epoch 1 done"));
    events.add(event("2026-11-30T10:09:00Z", "checkpoint_save", null, "Checkpoint saved"));
    ObjectNode list = JSON.createObjectNode().set("data", events);
    assertEquals(Set.of(), validate("FinetuneListEvents", list));
    together.cannedEvents.put("ft-1", list);
    assertEquals(List.of("Checkpoint saved", "Epoch 1 done"), api().latestEvents("ft-1", 2));

    ObjectNode checkpoints =
        (ObjectNode)
            JSON.readTree(
                """
                {"data": [
                  {"step": 20, "path": "s3://ft/ft-1/final", "created_at": "2026-11-30T10:20:00Z",
                   "checkpoint_type": "Final"},
                  {"step": 10, "path": "s3://ft/ft-1/10", "created_at": "2026-11-30T10:10:00Z",
                   "checkpoint_type": "Intermediate"}
                ]}
                """);
    assertEquals(Set.of(), validate("FinetuneListCheckpoints", checkpoints));
    together.cannedCheckpoints.put("ft-1", checkpoints);
    assertEquals(
        List.of(new Checkpoint("ft-1:10", 10, Map.of()), new Checkpoint("ft-1", 20, Map.of())),
        api().checkpoints("ft-1"));
  }

  @Test
  void refusalsNameProviderEndpointStatusAndMessageButNeverTheKey() throws Exception {
    ObjectNode error = JSON.createObjectNode();
    error
        .putObject("error")
        .put("message", "Model not available for fine-tuning")
        .put("type", "invalid_request_error")
        .putNull("param")
        .put("code", "model_not_available");
    assertEquals(Set.of(), validate("ErrorData", error));
    together.refuseCreate = error;
    ApplicationFailure e =
        assertThrows(
            ApplicationFailure.class,
            () ->
                new TrainingActivitiesImpl(store, providers)
                    .startJob(
                        new StartJobRequest("together", "nope/model", "file-1", "t", 1, 1, "r/1")));
    assertTrue(e.isNonRetryable());
    assertEquals(Failures.PROVIDER_REJECTED, e.getType());
    assertEquals(
        "Provider 'together' answered 400 to POST /v1/fine-tunes: Model not available for"
            + " fine-tuning [code=model_not_available]",
        e.getOriginalMessage());
    assertFalse(e.getOriginalMessage().contains(KEY));
  }

  @Test
  void trainingRunsEndToEndAndARetriedStartFindsItsJob() throws Exception {
    TestActivityEnvironment env = TestActivityEnvironment.newInstance();
    try {
      env.registerActivitiesImplementations(new TrainingActivitiesImpl(store, providers));
      List<String> statuses = Collections.synchronizedList(new ArrayList<>());
      env.setActivityHeartbeatListener(JobProgress.class, p -> statuses.add(p.status()));
      TrainingActivities activities = env.newActivityStub(TrainingActivities.class);
      ArtifactRef file = trainingFile();
      String runKey = "train-small/run-1";

      String fileId =
          activities.uploadTrainingFile(new UploadRequest("together", file, runKey, LLAMA_8B));
      assertEquals(
          fileId,
          activities.uploadTrainingFile(new UploadRequest("together", file, runKey, LLAMA_8B)),
          "a retried upload finds the file");
      assertEquals(1, together.uploads.size());

      StartJobRequest start =
          new StartJobRequest("together", LLAMA_8B, fileId, "triage", 7, 2, runKey);
      String jobId = activities.startJob(start);
      assertEquals(jobId, activities.startJob(start), "a retried start finds the job");
      assertEquals(1, together.creates.size(), "one job, however often retried");
      assertNotEquals(
          jobId,
          activities.startJob(
              new StartJobRequest(
                  "together", LLAMA_8B, fileId, "triage", 7, 2, "train-small/run-2")),
          "another execution trains anew");
      assertNotEquals(
          jobId,
          activities.startJob(
              new StartJobRequest(
                  "together",
                  "meta-llama/Llama-3.3-70B-Instruct-Reference",
                  fileId,
                  "triage",
                  7,
                  2,
                  runKey)),
          "a job is reused only for the same base model");

      TrainingActivities.TrainedModel model =
          activities.awaitJob(new AwaitJobRequest("together", jobId));
      assertEquals(jobId, model.jobId());
      assertEquals(
          "testuser/" + LLAMA_8B + "-triage-" + TogetherFineTuning.runTag(runKey), model.modelId());
      assertEquals(4_200, model.trainedTokens());
      assertEquals(
          List.of("pending", "queued", "running", "uploading", "completed"),
          together.served.get(jobId),
          "polled until completed");
      assertFalse(statuses.isEmpty(), "heartbeats carry the status");
      assertTrue(FakeTogether.LIFE.containsAll(statuses), statuses.toString());
      assertEquals(List.of(), together.violations);
    } finally {
      env.close();
    }
  }

  private static ObjectNode event(String at, String type, String level, String message) {
    ObjectNode e =
        JSON.createObjectNode()
            .put("object", "fine-tune-event")
            .put("created_at", at)
            .put("message", message)
            .put("type", type);
    if (level == null) {
      e.putNull("level");
    } else {
      e.put("level", level);
    }
    return e;
  }

  /**
   * Together as its reference describes it: files and jobs kept in memory, every request body
   * checked against the schema (violations collected), answers in documented shapes only, and a job
   * that moves pending → queued → running → uploading → completed, a step per GET.
   */
  static final class FakeTogether extends Dispatcher {
    static final List<String> LIFE =
        List.of("pending", "queued", "running", "uploading", "completed");
    private static final Pattern JOB =
        Pattern.compile("/v1/fine-tunes/([^/?]+)(/events|/checkpoints|/cancel)?");
    private static final Pattern DISPOSITION =
        Pattern.compile("name=\"([^\"]*)\"(?:; filename=\"([^\"]*)\")?");

    final List<String> violations = Collections.synchronizedList(new ArrayList<>());

    /** The statuses each job was seen in, in order. */
    final Map<String, List<String>> served = new java.util.concurrent.ConcurrentHashMap<>();

    final List<JsonNode> creates = Collections.synchronizedList(new ArrayList<>());
    final List<Map<String, String>> uploads = Collections.synchronizedList(new ArrayList<>());
    final List<ObjectNode> files = Collections.synchronizedList(new ArrayList<>());
    final Map<String, ObjectNode> jobs = Collections.synchronizedMap(new LinkedHashMap<>());
    final Map<String, ObjectNode> canned = Collections.synchronizedMap(new LinkedHashMap<>());
    final Map<String, ObjectNode> cannedEvents = Collections.synchronizedMap(new LinkedHashMap<>());
    final Map<String, ObjectNode> cannedCheckpoints =
        Collections.synchronizedMap(new LinkedHashMap<>());
    private final AtomicInteger ids = new AtomicInteger();
    volatile JsonNode refuseCreate;
    volatile String content;
    volatile String authorization;

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      try {
        authorization = request.getHeader("Authorization");
        String path = request.getPath();
        String method = request.getMethod();
        if (method.equals("GET") && path.equals("/v1/files")) {
          return answer("FileList", JSON.createObjectNode().set("data", array(files)));
        }
        if (method.equals("POST") && path.equals("/v1/files/upload")) {
          return upload(request);
        }
        if (method.equals("GET") && path.equals("/v1/fine-tunes")) {
          return answer(
              "FinetuneTruncatedList", JSON.createObjectNode().set("data", array(jobs.values())));
        }
        if (method.equals("POST") && path.equals("/v1/fine-tunes")) {
          return create(request);
        }
        Matcher m = JOB.matcher(path);
        if (m.matches()) {
          return job(method, m.group(1), m.group(2));
        }
        violations.add("undocumented request " + method + " " + path);
        return new MockResponse().setResponseCode(404);
      } catch (Exception e) {
        violations.add(e.toString());
        return new MockResponse().setResponseCode(500);
      }
    }

    private MockResponse upload(RecordedRequest request) throws Exception {
      String boundary = MediaType.get(request.getHeader("Content-Type")).parameter("boundary");
      Map<String, String> form = new LinkedHashMap<>();
      try (MultipartReader reader = new MultipartReader(request.getBody(), boundary)) {
        for (var part = reader.nextPart(); part != null; part = reader.nextPart()) {
          Matcher d = DISPOSITION.matcher(part.headers().get("Content-Disposition"));
          if (!d.find()) {
            violations.add("a part without a name");
            continue;
          }
          String body = part.body().readUtf8();
          if (d.group(2) != null) {
            content = body;
            form.put(d.group(1), d.group(2)); // the file part, as its file name
          } else {
            form.put(d.group(1), body);
          }
        }
      }
      check("UploadFileForm", JSON.valueToTree(form));
      uploads.add(form);
      ObjectNode file =
          JSON.createObjectNode()
              .put("id", "file-" + ids.incrementAndGet())
              .put("object", "file")
              .put("created_at", 1_764_500_000)
              .put("filename", form.get("file_name"))
              .put("bytes", content.getBytes(StandardCharsets.UTF_8).length)
              .put("purpose", form.get("purpose"))
              .put("Processed", true)
              .put("FileType", "jsonl");
      files.add(file);
      return answer("FileResponse", file);
    }

    private MockResponse create(RecordedRequest request) throws Exception {
      JsonNode body = JSON.readTree(request.getBody().readUtf8());
      check("CreateFineTuneRequest", body);
      creates.add(body);
      if (refuseCreate != null) {
        return new MockResponse().setResponseCode(400).setBody(refuseCreate.toString());
      }
      String id = "ft-" + ids.incrementAndGet();
      ObjectNode job =
          JSON.createObjectNode()
              .put("id", id)
              .put("status", "pending")
              .put("created_at", "2026-11-30T10:00:00Z")
              .put("updated_at", "2026-11-30T10:00:00Z")
              .put("model", body.path("model").asText())
              .put("training_file", body.path("training_file").asText())
              .put("suffix", body.path("suffix").asText())
              .put(
                  "model_output_name",
                  "testuser/" + body.path("model").asText() + "-" + body.path("suffix").asText());
      job.putArray("events")
          .add(event("2026-11-30T10:00:00Z", "job_pending", "info", "Fine-tune request created"));
      jobs.put(id, job);
      return answer("FinetuneResponseTruncated", job);
    }

    private MockResponse job(String method, String id, String sub) {
      if (sub == null && method.equals("GET")) {
        if (canned.containsKey(id)) {
          return json(canned.get(id)); // documented or deliberately not: the test checks it
        }
        ObjectNode job = jobs.get(id);
        if (job == null) {
          return new MockResponse()
              .setResponseCode(404)
              .setBody("{\"error\":{\"message\":\"no\",\"type\":\"not_found\"}}");
        }
        // Answer where the job is, then move it on for the next look.
        ObjectNode now = job.deepCopy();
        served
            .computeIfAbsent(id, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
            .add(now.path("status").asText());
        int next = LIFE.indexOf(job.path("status").asText()) + 1;
        if (next < LIFE.size()) {
          job.put("status", LIFE.get(next));
          ((ArrayNode) job.path("events"))
              .add(
                  event(
                      "2026-11-30T10:0" + next + ":00Z",
                      "job_start",
                      "info",
                      "Now " + LIFE.get(next)));
          if (LIFE.get(next).equals("completed")) {
            job.put("token_count", 4_200);
          }
        }
        return answer("FinetuneResponse", now);
      }
      if ("/events".equals(sub) && method.equals("GET")) {
        ObjectNode events = cannedEvents.get(id);
        if (events == null) {
          events = JSON.createObjectNode();
          events.set("data", jobs.get(id).path("events"));
        }
        return answer("FinetuneListEvents", events);
      }
      if ("/checkpoints".equals(sub) && method.equals("GET")) {
        return answer("FinetuneListCheckpoints", cannedCheckpoints.get(id));
      }
      if ("/cancel".equals(sub) && method.equals("POST")) {
        ObjectNode job = jobs.get(id);
        job.put("status", "cancel_requested");
        return answer("FinetuneResponseTruncated", job);
      }
      violations.add("undocumented request " + method + " /fine-tunes/" + id + sub);
      return new MockResponse().setResponseCode(404);
    }

    private void check(String definition, JsonNode value) {
      Set<ValidationMessage> errors = validate(definition, value);
      if (!errors.isEmpty()) {
        violations.add(definition + " " + value + ": " + errors);
      }
    }

    /** Answers {@code value}, which must be of the documented shape {@code definition}. */
    private MockResponse answer(String definition, JsonNode value) {
      check(definition, value);
      return json(value);
    }

    private static MockResponse json(JsonNode value) {
      return new MockResponse()
          .setHeader("Content-Type", "application/json")
          .setBody(value.toString());
    }

    private static ArrayNode array(java.util.Collection<? extends JsonNode> values) {
      ArrayNode array = JSON.createArrayNode();
      List.copyOf(values).forEach(array::add); // copied under the collection's lock
      return array;
    }
  }
}
