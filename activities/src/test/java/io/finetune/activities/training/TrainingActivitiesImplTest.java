package io.finetune.activities.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.provider.local.LocalProvider;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.training.TrainingActivities;
import io.finetune.workflows.training.TrainingActivities.AwaitJobRequest;
import io.finetune.workflows.training.TrainingActivities.StartJobRequest;
import io.finetune.workflows.training.TrainingActivities.TrainedModel;
import io.finetune.workflows.training.TrainingActivities.TrainingFileRequest;
import io.finetune.workflows.training.TrainingActivities.UploadRequest;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real local provider: one upload and one job per attempt, however often retried. */
class TrainingActivitiesImplTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private LocalProvider provider;
  private Providers providers;
  private ArtifactStore store;
  private TestActivityEnvironment env;
  private TrainingActivities activities;

  @BeforeEach
  void setUp() throws Exception {
    provider = LocalProvider.start(0, dir.resolve("provider"));
    providers = new Providers(List.of(new ProviderConfig("local", provider.baseUrl(), "", 50)));
    store = new ArtifactStore(dir.resolve("store"));
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(new TrainingActivitiesImpl(store, providers));
    activities = env.newActivityStub(TrainingActivities.class);
  }

  @AfterEach
  void tearDown() {
    env.close();
    provider.close();
  }

  private DatasetRef train() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      boolean billing = i % 2 == 0;
      rows.add(
          new Row(
              (billing ? "please refund invoice " : "app crash error ") + i,
              JSON.createObjectNode().put("category", billing ? "billing" : "technical")));
    }
    return Rows.write(store, "train", rows);
  }

  @Test
  void trainingIsPricedByTheAliasWhenTheProviderReportsTheDatedSnapshot() {
    ProviderConfig config =
        new ProviderConfig("p", "http://127.0.0.1:1/v1", "", 100)
            .withPrices(List.of(new ProviderConfig.Price("gpt-4o-mini", 0.15, 0.6, 3.0)));
    assertEquals(
        3.0, TrainingActivitiesImpl.trainingCost(config, "gpt-4o-mini-2024-07-18", 1_000_000));
    assertEquals(null, TrainingActivitiesImpl.trainingCost(config, "gpt-4o", 1_000_000));
  }

  @Test
  void retriesReuseTheUploadAndTheJobAndTheModelLearns() throws Exception {
    ArtifactRef file =
        activities.prepareTrainingFile(
            new TrainingFileRequest(train(), "Classify.", List.of("category")));
    JsonNode firstLine = JSON.readTree(Files.readAllLines(Path.of(file.path())).get(0));
    assertEquals("system", firstLine.get("messages").get(0).get("role").asText());
    assertEquals(
        "{\"category\":\"billing\"}", firstLine.get("messages").get(2).get("content").asText());

    String execution = "run-train-small/run-1";
    String fileId =
        activities.uploadTrainingFile(new UploadRequest("local", file, execution, "local-small"));
    assertEquals(
        fileId,
        activities.uploadTrainingFile(new UploadRequest("local", file, execution, "local-small")),
        "a retried upload finds the file this execution uploaded");
    var client = providers.client("local");
    assertEquals(1, client.get("files", client.url("files")).get("data").size());
    String rerunFile =
        activities.uploadTrainingFile(
            new UploadRequest("local", file, "run-train-small/run-2", "local-small"));
    assertNotEquals(fileId, rerunFile, "a rerun of the same id uploads its own file");

    StartJobRequest start =
        new StartJobRequest("local", "local-small", fileId, "triage", 7, 2, execution);
    String jobId = activities.startJob(start);
    assertEquals(jobId, activities.startJob(start), "a retried start finds the same job");
    assertEquals(1, FineTuningApi.of(client).findJobs(execution).size());
    String rerun =
        activities.startJob(
            new StartJobRequest(
                "local", "local-small", rerunFile, "triage", 7, 2, "run-train-small/run-2"));
    assertNotEquals(jobId, rerun, "another execution of the same id gets its own job");
    String otherModel =
        activities.startJob(
            new StartJobRequest("local", "local-medium", fileId, "triage", 7, 2, execution));
    assertNotEquals(
        jobId, otherModel, "a job is reused only for the same request (file and base model)");

    TrainedModel model = activities.awaitJob(new AwaitJobRequest("local", jobId));
    assertTrue(model.modelId().startsWith("ft:local-small:triage:"), model.modelId());
    assertEquals(
        "{\"category\":\"billing\"}",
        providers.client("local").chat(model.modelId(), "Classify.", "I want a refund"));
  }

  @Test
  void cancellingTheActivityCancelsTheProvidersJob() throws Exception {
    okhttp3.mockwebserver.MockWebServer server = new okhttp3.mockwebserver.MockWebServer();
    java.util.List<String> paths = java.util.Collections.synchronizedList(new ArrayList<>());
    server.setDispatcher(
        new okhttp3.mockwebserver.Dispatcher() {
          @Override
          public okhttp3.mockwebserver.MockResponse dispatch(
              okhttp3.mockwebserver.RecordedRequest request) {
            paths.add(request.getMethod() + " " + request.getPath());
            String status = request.getPath().endsWith("/cancel") ? "cancelled" : "running";
            return new okhttp3.mockwebserver.MockResponse()
                .setBody("{\"id\":\"ftjob-9\",\"status\":\"" + status + "\"}");
          }
        });
    server.start();
    TestActivityEnvironment cancelling = TestActivityEnvironment.newInstance();
    try {
      cancelling.registerActivitiesImplementations(
          new TrainingActivitiesImpl(
              store,
              new Providers(
                  List.of(new ProviderConfig("remote", server.url("/v1").toString(), "", 50)))));
      TrainingActivities stub = cancelling.newActivityStub(TrainingActivities.class);
      new Thread(
              () -> {
                try {
                  Thread.sleep(300);
                } catch (InterruptedException ignored) {
                  return;
                }
                cancelling.requestCancelActivity();
              })
          .start();

      org.junit.jupiter.api.Assertions.assertThrows(
          RuntimeException.class, () -> stub.awaitJob(new AwaitJobRequest("remote", "ftjob-9")));

      assertTrue(paths.contains("GET /v1/fine_tuning/jobs/ftjob-9"), paths.toString());
      assertTrue(paths.contains("POST /v1/fine_tuning/jobs/ftjob-9/cancel"), paths.toString());
    } finally {
      cancelling.close();
      server.shutdown();
    }
  }

  @Test
  void onlyACancelledPollCancelsTheJobNotALostAttemptOrAWorkerShuttingDown() {
    assertTrue(
        TrainingActivitiesImpl.cancelsJob(new io.temporal.client.ActivityCanceledException()));
    assertFalse(
        TrainingActivitiesImpl.cancelsJob(
            new io.temporal.client.ActivityNotExistsException("timed out", null)));
    assertFalse(
        TrainingActivitiesImpl.cancelsJob(
            new io.temporal.client.ActivityWorkerShutdownException()));
  }

  @Test
  void thePollHeartbeatsWithinAShortHeartbeatTimeoutWhateverThePollInterval() throws Exception {
    assertEquals(
        10_000, TrainingActivitiesImpl.heartbeatSliceMillis(java.time.Duration.ofMinutes(1)));
    assertEquals(
        1_000, TrainingActivitiesImpl.heartbeatSliceMillis(java.time.Duration.ofSeconds(2)));
    assertEquals(10_000, TrainingActivitiesImpl.heartbeatSliceMillis(java.time.Duration.ZERO));

    okhttp3.mockwebserver.MockWebServer server = new okhttp3.mockwebserver.MockWebServer();
    java.util.concurrent.atomic.AtomicInteger gets =
        new java.util.concurrent.atomic.AtomicInteger();
    server.setDispatcher(
        new okhttp3.mockwebserver.Dispatcher() {
          @Override
          public okhttp3.mockwebserver.MockResponse dispatch(
              okhttp3.mockwebserver.RecordedRequest request) {
            String status = gets.incrementAndGet() == 1 ? "running" : "succeeded";
            return new okhttp3.mockwebserver.MockResponse()
                .setBody(
                    "{\"id\":\"ftjob-7\",\"status\":\""
                        + status
                        + "\",\"fine_tuned_model\":\"ft:x\"}");
          }
        });
    server.start();
    TestActivityEnvironment polling = TestActivityEnvironment.newInstance();
    try {
      polling.registerActivitiesImplementations(
          new TrainingActivitiesImpl(
              store,
              new Providers(
                  List.of(new ProviderConfig("remote", server.url("/v1").toString(), "", 2_000)))));
      java.util.List<Long> beats = java.util.Collections.synchronizedList(new ArrayList<>());
      polling.setActivityHeartbeatListener(
          TrainingActivities.JobProgress.class, s -> beats.add(System.nanoTime()));
      TrainingActivities stub =
          polling.newActivityStub(
              TrainingActivities.class,
              io.temporal.activity.ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(java.time.Duration.ofMinutes(1))
                  .setHeartbeatTimeout(java.time.Duration.ofSeconds(1))
                  .build());

      assertEquals("ft:x", stub.awaitJob(new AwaitJobRequest("remote", "ftjob-7")).modelId());
      // A 2 s poll with a 1 s heartbeat timeout: a heartbeat every 0.5 s, not one per poll.
      assertTrue(beats.size() >= 3, beats.size() + " heartbeats in a 2 s poll");
    } finally {
      polling.close();
      server.shutdown();
    }
  }

  @Test
  void aFileThatBreaksTheProvidersRulesFailsBeforeItIsUploaded() {
    ArtifactRef tiny =
        store.write(
            "training-files",
            "jsonl",
            out -> out.write("{\"messages\":[]}\n".getBytes(StandardCharsets.UTF_8)));
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.temporal.failure.ActivityFailure.class,
            () ->
                activities.uploadTrainingFile(
                    new UploadRequest("local", tiny, "tiny/run-1", "local-small")));
    var cause = (io.temporal.failure.ApplicationFailure) e.getCause();
    assertTrue(cause.isNonRetryable());
    assertEquals(io.finetune.workflows.common.Failures.TRAINING_FILE_INVALID, cause.getType());
    assertTrue(
        cause
            .getOriginalMessage()
            .contains(
                "2 problems: 1 example; OpenAI needs at least 10; line 1: must be {\"messages\": [...]}"),
        cause.getOriginalMessage());
    var client = providers.client("local");
    assertEquals(0, client.get("files", client.url("files")).get("data").size(), "not uploaded");
  }

  @Test
  void aFailedJobFailsTheActivityWithTheProvidersReason() {
    ArtifactRef tiny =
        store.write(
            "training-files",
            "jsonl",
            out -> out.write("{\"messages\":[]}\n".getBytes(StandardCharsets.UTF_8)));
    // Past our own check (which would refuse it), so that the provider fails the job.
    String fileId =
        FineTuningApi.of(providers.client("local"))
            .upload("tiny.jsonl", store.existing(tiny.path()));
    String jobId =
        activities.startJob(new StartJobRequest("local", "local-small", fileId, "t", 1, null, "k"));
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.temporal.failure.ActivityFailure.class,
            () -> activities.awaitJob(new AwaitJobRequest("local", jobId)));
    var cause = (io.temporal.failure.ApplicationFailure) e.getCause();
    assertTrue(cause.isNonRetryable());
    assertTrue(
        cause.getOriginalMessage().contains("invalid_training_file"), cause.getOriginalMessage());
  }

  @Test
  void anUnknownFineTuningApiIsAClearConfigurationError() {
    var config = new ProviderConfig("fireworks", provider.baseUrl(), "", 50).withApi("fireworks");
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            io.temporal.failure.ApplicationFailure.class,
            () -> FineTuningApi.of(new Providers(List.of(config)).client("fireworks")));
    assertTrue(e.isNonRetryable());
    assertEquals(io.finetune.workflows.common.Failures.INVALID_INPUT, e.getType());
    assertEquals(
        "Provider 'fireworks' is configured with fine-tuning api 'fireworks'; this worker speaks"
            + " openai or together (finetune.providers.fireworks.api).",
        e.getOriginalMessage());
  }

  @Test
  void aJobIsTheSameRequestWhenItsModelIsTheSnapshotTheAliasResolvedTo() {
    assertTrue(TrainingActivitiesImpl.sameModel("gpt-4o-mini", "gpt-4o-mini-2024-07-18"));
    assertTrue(TrainingActivitiesImpl.sameModel("gpt-3.5-turbo", "gpt-3.5-turbo-0125"));
    assertTrue(TrainingActivitiesImpl.sameModel("local-small", "local-small"));
    assertFalse(TrainingActivitiesImpl.sameModel("gpt-4o", "gpt-4o-mini-2024-07-18"));
    assertFalse(TrainingActivitiesImpl.sameModel("local-small", "local-medium"));
    assertFalse(TrainingActivitiesImpl.sameModel("local-small", null));
  }
}
