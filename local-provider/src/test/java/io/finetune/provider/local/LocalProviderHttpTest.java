package io.finetune.provider.local;

import static io.finetune.provider.local.ProviderCalls.fieldNames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.provider.local.ProviderCalls.Reply;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI-compatible surface, over real HTTP: files, jobs and their lifecycle, chat. */
class LocalProviderHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path storage;
  private LocalProvider provider;
  private final ProviderCalls calls = new ProviderCalls(() -> provider.baseUrl());

  @AfterEach
  void stop() {
    if (provider != null) {
      provider.close();
    }
  }

  private static String trainingFile() {
    String[][] rows = {
      {"my invoice is wrong", "billing"}, {"refund my order", "billing"},
      {"the app crashes", "technical"}, {"error on sync", "technical"},
    };
    return ProviderCalls.sftFile(rows, 0, 40);
  }

  private static List<FineTunedModel.Example> examples(String trainingFile) throws IOException {
    List<FineTunedModel.Example> out = new ArrayList<>();
    for (String line : trainingFile.lines().toList()) {
      JsonNode m = JSON.readTree(line).get("messages");
      out.add(
          new FineTunedModel.Example(
              m.get(1).get("content").asText(), m.get(2).get("content").asText()));
    }
    return out;
  }

  @Test
  void fineTuningJobLifecycleLikeTheRealApi() throws Exception {
    provider = LocalProvider.start(0, storage);
    assertTrue(provider.baseUrl().startsWith("http://127.0.0.1:"));
    JsonNode models = calls.call("GET", "/models", null, null).body();
    assertEquals(4, models.get("data").size(), "the three base models and local-judge");

    String fileId = calls.upload(trainingFile());
    Reply created =
        calls.post(
            "/fine_tuning/jobs",
            "{\"model\":\"local-small\",\"training_file\":\""
                + fileId
                + "\",\"suffix\":\"t\","
                + "\"metadata\":{\"finetune_attempt\":\"run-1\"},"
                + "\"method\":{\"type\":\"supervised\",\"supervised\":{\"hyperparameters\":{\"n_epochs\":3}}}}");
    assertEquals(200, created.status(), created.body().toString());
    assertEquals("validating_files", created.body().get("status").asText());
    String jobId = created.body().get("id").asText();

    JsonNode job = calls.awaitJob(jobId);
    assertEquals("succeeded", job.get("status").asText());
    String model = job.get("fine_tuned_model").asText();
    assertTrue(model.startsWith("ft:local-small:t:"), model);

    List<String> messages = new ArrayList<>();
    calls
        .call("GET", "/fine_tuning/jobs/" + jobId + "/events", null, null)
        .body()
        .get("data")
        .forEach(e -> messages.add(e.get("message").asText()));
    assertTrue(
        messages.stream().anyMatch(m -> m.startsWith("Validated 40 examples")),
        messages.toString());
    assertTrue(messages.stream().anyMatch(m -> m.startsWith("Epoch 3/3")), messages.toString());
    // Newest first, as the API gives them, so that limit=1 is the latest.
    assertTrue(messages.get(0).startsWith("Fine-tuned model "), messages.toString());
    assertEquals(
        messages.get(0),
        calls
            .call("GET", "/fine_tuning/jobs/" + jobId + "/events?limit=1", null, null)
            .body()
            .get("data")
            .get(0)
            .get("message")
            .asText());
    // Billed like OpenAI: every example's tokens, once per epoch (each example here has 6 or 7).
    long trained = job.get("trained_tokens").asLong();
    assertTrue(trained >= 3 * 40 * 6 && trained <= 3 * 40 * 7, "trained tokens " + trained);
    assertEquals(1, provider.jobsCreated());

    JsonNode byMetadata =
        calls
            .call("GET", "/fine_tuning/jobs?metadata%5Bfinetune_attempt%5D=run-1", null, null)
            .body();
    assertEquals(1, byMetadata.get("data").size());
    assertEquals(
        0,
        calls
            .call("GET", "/fine_tuning/jobs?metadata%5Bfinetune_attempt%5D=other", null, null)
            .body()
            .get("data")
            .size());

    JsonNode chat =
        calls
            .post(
                "/chat/completions",
                "{\"model\":\""
                    + model
                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"refund my order please\"}]}")
            .body();
    assertEquals(
        "{\"label\":\"billing\"}",
        chat.get("choices").get(0).get("message").get("content").asText());

    // A restarted provider still knows its jobs and serves its models: the three base models,
    // local-judge, the tuned one and its checkpoints after each of its three epochs.
    provider.close();
    provider = LocalProvider.start(0, storage);
    assertEquals(
        "succeeded",
        calls.call("GET", "/fine_tuning/jobs/" + jobId, null, null).body().get("status").asText());
    assertEquals(8, calls.call("GET", "/models", null, null).body().get("data").size());
  }

  @Test
  void largerModelsAnswerMoreSlowlyAndReportTheirTokens() throws Exception {
    provider =
        LocalProvider.start(
            0,
            storage,
            Chaos.NONE,
            new ServingLatency(
                java.time.Duration.ZERO,
                java.time.Duration.ZERO,
                java.time.Duration.ofMillis(120)));
    String request =
        "{\"model\":\"local-large\",\"messages\":[{\"role\":\"system\",\"content\":\"Answer.\"},"
            + "{\"role\":\"user\",\"content\":\"refund my order please\"}]}";
    long started = System.nanoTime();
    JsonNode large = calls.post("/chat/completions", request).body();
    long largeMillis = (System.nanoTime() - started) / 1_000_000;

    assertTrue(largeMillis >= 120, "local-large took " + largeMillis + " ms");
    JsonNode usage = large.get("usage");
    assertEquals(5, usage.get("prompt_tokens").asInt(), usage.toString());
    assertTrue(usage.get("completion_tokens").asInt() > 0, usage.toString());
    assertEquals(
        usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
        usage.get("total_tokens").asInt());
  }

  @Test
  void badRequestsGetOpenAiStyleErrors() throws Exception {
    provider = LocalProvider.start(0, storage);
    Reply unknownModel =
        calls.post(
            "/chat/completions",
            "{\"model\":\"ft:nope\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    assertEquals(404, unknownModel.status());
    assertEquals("model_not_found", unknownModel.body().get("error").get("code").asText());

    Reply noModel = calls.post("/fine_tuning/jobs", "{\"training_file\":\"file-1\"}");
    assertEquals(400, noModel.status());
    assertEquals("model", noModel.body().get("error").get("param").asText());

    String bad = calls.upload("{\"messages\": []}\nnot json\n");
    String jobId =
        calls
            .post(
                "/fine_tuning/jobs",
                "{\"model\":\"local-small\",\"training_file\":\"" + bad + "\"}")
            .body()
            .get("id")
            .asText();
    JsonNode failed = calls.awaitJob(jobId);
    assertEquals("failed", failed.get("status").asText());
    assertEquals("invalid_training_file", failed.get("error").get("code").asText());
    assertTrue(failed.get("error").get("message").asText().contains("line 1"));
  }

  @Test
  void jobsHaveTheShapeOfTheOpenAiApi() throws Exception {
    provider = LocalProvider.start(0, storage);
    String fileId = calls.upload(trainingFile());
    JsonNode created =
        calls
            .post(
                "/fine_tuning/jobs",
                "{\"model\":\"local-small\",\"training_file\":\"" + fileId + "\"}")
            .body();
    List<String> fields =
        List.of(
            "id",
            "object",
            "model",
            "created_at",
            "training_file",
            "validation_file",
            "status",
            "fine_tuned_model",
            "error",
            "seed",
            "suffix",
            "hyperparameters",
            "metadata");
    assertEquals(fields, fieldNames(created));
    assertEquals("fine_tuning.job", created.get("object").asText());
    assertTrue(created.get("fine_tuned_model").isNull());
    assertTrue(created.get("error").isNull());
    assertTrue(created.get("metadata").isNull());
    assertEquals(42, created.get("seed").asLong());
    assertEquals("", created.get("suffix").asText());
    assertTrue(created.get("validation_file").isNull());
    JsonNode hyperparameters = created.get("hyperparameters");
    assertEquals(
        List.of("n_epochs", "batch_size", "learning_rate_multiplier"), fieldNames(hyperparameters));
    assertEquals(ModelCapacity.SMALL.defaultEpochs, hyperparameters.get("n_epochs").asInt());
    assertEquals("auto", hyperparameters.get("batch_size").asText());
    assertEquals(1.0, hyperparameters.get("learning_rate_multiplier").asDouble());

    JsonNode done = calls.awaitJob(created.get("id").asText());
    List<String> finished = new ArrayList<>(fields);
    finished.addAll(List.of("trained_tokens", "finished_at"));
    assertEquals(finished, fieldNames(done));
    assertEquals(
        FineTuningJobs.trainedTokens(examples(trainingFile()), ModelCapacity.SMALL.defaultEpochs),
        done.get("trained_tokens").asInt());

    JsonNode events =
        calls
            .call("GET", "/fine_tuning/jobs/" + done.get("id").asText() + "/events", null, null)
            .body();
    assertEquals(List.of("object", "data", "has_more"), fieldNames(events));
    JsonNode first = events.get("data").get(0);
    assertEquals(
        List.of("object", "id", "created_at", "level", "message", "data", "type"),
        fieldNames(first));
    assertEquals("fine_tuning.job.event", first.get("object").asText());
    assertEquals("message", first.get("type").asText());
    assertEquals(0, first.get("data").size());

    JsonNode list = calls.call("GET", "/fine_tuning/jobs", null, null).body();
    assertEquals(List.of("object", "data", "has_more"), fieldNames(list));
    assertEquals(finished, fieldNames(list.get("data").get(0)));

    // Cancelling a job that has finished is refused; its state does not change.
    Reply cancel = calls.post("/fine_tuning/jobs/" + done.get("id").asText() + "/cancel", "{}");
    assertEquals(400, cancel.status());
    assertEquals("invalid_state", cancel.body().get("error").get("code").asText());
  }

  @Test
  void writesCutShortByAKillLeaveNothingBehindAfterARestart() throws Exception {
    // What a provider killed mid-write leaves: a half metadata file, a half job save.
    Path files = Files.createDirectories(storage.resolve("files"));
    Path jobs = Files.createDirectories(storage.resolve("jobs"));
    Files.writeString(files.resolve("file-ab.json.tmp"), "{\"id\":\"file-ab\",\"obj");
    Files.writeString(jobs.resolve("ftjob-cd.json.tmp"), "{\"id\":\"ftjob-");
    provider = LocalProvider.start(0, storage);

    String id = calls.upload("{\"messages\":[]}\n");
    Reply list = calls.call("GET", "/files", null, null);
    assertEquals(200, list.status());
    assertEquals(1, list.body().get("data").size());
    assertEquals(id, list.body().get("data").get(0).get("id").asText());
    try (java.util.stream.Stream<Path> inFiles = Files.list(files);
        java.util.stream.Stream<Path> inJobs = Files.list(jobs)) {
      assertTrue(
          java.util.stream.Stream.concat(inFiles, inJobs)
              .noneMatch(f -> f.toString().endsWith(".tmp")),
          "temporary files are cleaned up");
    }
  }

  @Test
  void jobsSavedByEarlierVersionsStillLoad() throws Exception {
    // Written by the provider before jobs were typed records: the job and its events in one file.
    Path jobs = Files.createDirectories(storage.resolve("jobs"));
    Files.writeString(
        jobs.resolve("ftjob-a1.json"),
        "{\"id\":\"ftjob-a1\",\"object\":\"fine_tuning.job\",\"model\":\"local-small\","
            + "\"created_at\":1764460000,\"training_file\":\"file-1\",\"status\":\"succeeded\","
            + "\"fine_tuned_model\":\"ft:local-small:t:a1\",\"error\":null,\"seed\":7,"
            + "\"suffix\":\"t\",\"hyperparameters\":{\"n_epochs\":3},"
            + "\"metadata\":{\"finetune_attempt\":\"run-1\"},\"events\":["
            + "{\"object\":\"fine_tuning.job.event\",\"id\":\"ftevent-1\",\"created_at\":1764460000,"
            + "\"level\":\"info\",\"message\":\"Created fine-tuning job ftjob-a1\"}],"
            + "\"trained_tokens\":40,\"finished_at\":1764460005}");
    Files.writeString(
        jobs.resolve("ftjob-a2.json"),
        "{\"id\":\"ftjob-a2\",\"object\":\"fine_tuning.job\",\"model\":\"local-medium\","
            + "\"created_at\":1764460001,\"training_file\":\"file-1\",\"status\":\"failed\","
            + "\"fine_tuned_model\":null,\"error\":{\"code\":\"invalid_training_file\","
            + "\"message\":\"bad\",\"param\":null},\"seed\":42,\"suffix\":\"\","
            + "\"hyperparameters\":{\"n_epochs\":4},\"metadata\":null,\"events\":[]}");
    provider = LocalProvider.start(0, storage);

    JsonNode succeeded = calls.call("GET", "/fine_tuning/jobs/ftjob-a1", null, null).body();
    assertEquals("succeeded", succeeded.get("status").asText());
    assertEquals("ft:local-small:t:a1", succeeded.get("fine_tuned_model").asText());
    assertEquals(1764460005L, succeeded.get("finished_at").asLong());
    assertEquals(7, succeeded.get("seed").asLong());
    assertTrue(!succeeded.has("events"), "events are served apart");
    // Fields added since: what those jobs had, or ran with.
    assertTrue(succeeded.get("validation_file").isNull());
    assertEquals(
        "{\"n_epochs\":3,\"batch_size\":\"auto\",\"learning_rate_multiplier\":1.0}",
        succeeded.get("hyperparameters").toString());
    JsonNode checkpoints = calls.get("/fine_tuning/jobs/ftjob-a1/checkpoints").body();
    assertEquals(0, checkpoints.get("data").size());
    assertTrue(checkpoints.get("first_id").isNull());
    JsonNode failed = calls.call("GET", "/fine_tuning/jobs/ftjob-a2", null, null).body();
    assertEquals("failed", failed.get("status").asText());
    assertEquals("invalid_training_file", failed.get("error").get("code").asText());
    assertTrue(failed.get("error").get("param").isNull());
    JsonNode events =
        calls.call("GET", "/fine_tuning/jobs/ftjob-a1/events", null, null).body().get("data");
    JsonNode event = events.get(events.size() - 1); // newest first: the oldest is last
    assertEquals("Created fine-tuning job ftjob-a1", event.get("message").asText());
    assertEquals("message", event.get("type").asText());
    JsonNode byMetadata =
        calls
            .call("GET", "/fine_tuning/jobs?metadata%5Bfinetune_attempt%5D=run-1", null, null)
            .body();
    assertEquals(1, byMetadata.get("data").size());
    assertEquals("ftjob-a1", byMetadata.get("data").get(0).get("id").asText());
  }
}
