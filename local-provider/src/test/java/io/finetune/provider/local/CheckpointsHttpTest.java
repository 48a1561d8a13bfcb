package io.finetune.provider.local;

import static io.finetune.provider.local.ProviderCalls.fieldNames;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.provider.local.ProviderCalls.Reply;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation files, hyperparameters and checkpoints of fine-tuning jobs, over real HTTP. */
class CheckpointsHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[][] ROWS = {
    {"my invoice is wrong", "billing"}, {"refund my order", "billing"},
    {"the app crashes", "technical"}, {"error on sync", "technical"},
  };
  private static final List<String> ALL_METRICS =
      List.of(
          "step",
          "train_loss",
          "train_mean_token_accuracy",
          "valid_loss",
          "valid_mean_token_accuracy",
          "full_valid_loss",
          "full_valid_mean_token_accuracy");

  @TempDir Path storage;
  private LocalProvider provider;
  private final ProviderCalls calls = new ProviderCalls(() -> provider.baseUrl());

  @AfterEach
  void stop() {
    if (provider != null) {
      provider.close();
    }
  }

  /** A job on 40 training examples (and 8 others to validate on, if asked); its id. */
  private String createJob(boolean withValidation, ObjectNode hyperparameters) throws Exception {
    ObjectNode req = JSON.createObjectNode().put("model", "local-small").put("suffix", "c");
    req.put("training_file", calls.upload(ProviderCalls.sftFile(ROWS, 0, 40)));
    if (withValidation) {
      req.put("validation_file", calls.upload(ProviderCalls.sftFile(ROWS, 100, 8)));
    }
    req.putObject("method")
        .put("type", "supervised")
        .putObject("supervised")
        .set("hyperparameters", hyperparameters);
    Reply created = calls.post("/fine_tuning/jobs", req.toString());
    assertEquals(200, created.status(), created.body().toString());
    return created.body().get("id").asText();
  }

  private static ObjectNode epochs(int n) {
    return JSON.createObjectNode().put("n_epochs", n);
  }

  private JsonNode checkpoints(String jobId) throws Exception {
    Reply r = calls.get("/fine_tuning/jobs/" + jobId + "/checkpoints");
    assertEquals(200, r.status(), r.body().toString());
    return r.body();
  }

  /** The job's metrics events, oldest first (the API lists newest first). */
  private List<JsonNode> metricsEvents(String jobId) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode e :
        calls.get("/fine_tuning/jobs/" + jobId + "/events?limit=1000").body().get("data")) {
      if (e.get("type").asText().equals("metrics")) {
        out.add(0, e);
      }
    }
    return out;
  }

  @Test
  void theLastThreeEpochsAreServableCheckpointsScoredOnTheValidationFile() throws Exception {
    provider = LocalProvider.start(0, storage);
    String jobId = createJob(true, epochs(4));
    JsonNode job = calls.awaitJob(jobId);
    assertEquals("succeeded", job.get("status").asText(), job.toString());
    assertTrue(job.get("validation_file").asText().startsWith("file-"), job.toString());
    String model = job.get("fine_tuned_model").asText();

    JsonNode list = checkpoints(jobId);
    assertEquals(List.of("object", "data", "has_more", "first_id", "last_id"), fieldNames(list));
    assertEquals("list", list.get("object").asText());
    assertFalse(list.get("has_more").asBoolean());
    JsonNode data = list.get("data");
    // Newest first; a step is one update, here one example (batch size auto): 40 per epoch.
    List<Integer> steps = new ArrayList<>();
    data.forEach(c -> steps.add(c.get("step_number").asInt()));
    assertEquals(List.of(160, 120, 80), steps);
    assertEquals(data.get(0).get("id").asText(), list.get("first_id").asText());
    assertEquals(data.get(2).get("id").asText(), list.get("last_id").asText());
    for (JsonNode c : data) {
      assertEquals(
          List.of(
              "object",
              "id",
              "created_at",
              "fine_tuned_model_checkpoint",
              "step_number",
              "metrics",
              "fine_tuning_job_id"),
          fieldNames(c));
      assertEquals("fine_tuning.job.checkpoint", c.get("object").asText());
      assertTrue(c.get("id").asText().startsWith("ftckpt_"), c.toString());
      assertEquals(jobId, c.get("fine_tuning_job_id").asText());
      int step = c.get("step_number").asInt();
      String checkpointModel = c.get("fine_tuned_model_checkpoint").asText();
      assertEquals(model + ":ckpt-step-" + step, checkpointModel);
      JsonNode metrics = c.get("metrics");
      assertEquals(ALL_METRICS, fieldNames(metrics));
      assertEquals(step, metrics.get("step").asInt());
      assertEquals(metrics.get("valid_loss"), metrics.get("full_valid_loss"));
      double accuracy = metrics.get("valid_mean_token_accuracy").asDouble();
      assertTrue(accuracy >= 0 && accuracy <= 1, metrics.toString());

      Reply chat = calls.chat(checkpointModel, "refund my order now");
      assertEquals(200, chat.status(), chat.body().toString());
      assertEquals(checkpointModel, chat.body().get("model").asText());
    }

    // The newest checkpoint is the final model; an older one is the model as it was then.
    ModelStore models = new ModelStore(storage.resolve("models"));
    FineTunedModel last = models.load(data.get(0).get("fine_tuned_model_checkpoint").asText());
    FineTunedModel first = models.load(data.get(2).get("fine_tuned_model_checkpoint").asText());
    FineTunedModel tuned = models.load(model);
    float[][] tunedWeights = tuned.classifier("label").weights;
    assertEquals(tuned.classifier("label").labels, last.classifier("label").labels);
    assertArrayEquals(tunedWeights, last.classifier("label").weights);
    assertFalse(Arrays.deepEquals(tunedWeights, first.classifier("label").weights));
  }

  @Test
  void checkpointsSurviveARestartAndAreServedAfterIt() throws Exception {
    provider = LocalProvider.start(0, storage);
    String jobId = createJob(true, epochs(3));
    assertEquals("succeeded", calls.awaitJob(jobId).get("status").asText());
    JsonNode before = checkpoints(jobId);

    provider.close();
    provider = LocalProvider.start(0, storage);
    assertEquals(before, checkpoints(jobId));
    List<String> listed = new ArrayList<>();
    calls.get("/models").body().get("data").forEach(m -> listed.add(m.get("id").asText()));
    for (JsonNode c : before.get("data")) {
      String checkpointModel = c.get("fine_tuned_model_checkpoint").asText();
      assertTrue(listed.contains(checkpointModel), listed.toString());
      assertEquals(200, calls.chat(checkpointModel, "the app crashes again").status());
    }
  }

  @Test
  void eachEpochReportsItsScoresAsAMetricsEvent() throws Exception {
    provider = LocalProvider.start(0, storage);
    String jobId = createJob(true, epochs(5));
    assertEquals("succeeded", calls.awaitJob(jobId).get("status").asText());

    List<JsonNode> events = metricsEvents(jobId);
    assertEquals(5, events.size());
    for (int i = 0; i < events.size(); i++) {
      JsonNode e = events.get(i);
      String message = e.get("message").asText();
      assertTrue(message.startsWith("Epoch " + (i + 1) + "/5: loss "), message);
      assertTrue(message.contains("valid loss"), message);
      JsonNode data = e.get("data");
      assertEquals(40 * (i + 1), data.get("step").asInt());
      assertEquals(200, data.get("total_steps").asInt());
      assertTrue(data.has("train_mean_token_accuracy") && data.has("valid_mean_token_accuracy"));
    }
    // More epochs fit the validation examples better (they are like the training ones).
    double firstLoss = events.get(0).get("data").get("valid_loss").asDouble();
    double lastLoss = events.get(4).get("data").get("valid_loss").asDouble();
    assertTrue(lastLoss < firstLoss, "valid loss " + firstLoss + " -> " + lastLoss);
    // The checkpoints carry the scores of their epochs.
    JsonNode newest = checkpoints(jobId).get("data").get(0).get("metrics");
    assertEquals(lastLoss, newest.get("valid_loss").asDouble());
  }

  @Test
  void withoutAValidationFileCheckpointsHaveOnlyTrainingMetrics() throws Exception {
    provider = LocalProvider.start(0, storage);
    String jobId = createJob(false, epochs(2));
    JsonNode job = calls.awaitJob(jobId);
    assertEquals("succeeded", job.get("status").asText());
    assertTrue(job.get("validation_file").isNull());

    JsonNode data = checkpoints(jobId).get("data");
    assertEquals(2, data.size(), "fewer epochs than three: one checkpoint each");
    for (JsonNode c : data) {
      assertEquals(ALL_METRICS.subList(0, 3), fieldNames(c.get("metrics")));
    }
    for (JsonNode e : metricsEvents(jobId)) {
      assertFalse(e.get("data").has("valid_loss"), e.toString());
      assertFalse(e.get("message").asText().contains("valid"), e.toString());
    }
  }

  @Test
  void hyperparametersAreEchoedAndHonoured() throws Exception {
    provider = LocalProvider.start(0, storage);
    String jobId =
        createJob(false, epochs(2).put("batch_size", 8).put("learning_rate_multiplier", 2.5));
    JsonNode job = calls.awaitJob(jobId);
    assertEquals(
        "{\"n_epochs\":2,\"batch_size\":8,\"learning_rate_multiplier\":2.5}",
        job.get("hyperparameters").toString());
    // One step per batch of 8: 5 per epoch over 40 examples.
    List<Integer> steps = new ArrayList<>();
    checkpoints(jobId).get("data").forEach(c -> steps.add(c.get("step_number").asInt()));
    assertEquals(List.of(10, 5), steps);

    // Another multiplier learns another model from the same data and seed.
    String other = createJob(false, epochs(2).put("batch_size", 8));
    assertEquals(
        1.0,
        calls.awaitJob(other).get("hyperparameters").get("learning_rate_multiplier").asDouble());
    ModelStore models = new ModelStore(storage.resolve("models"));
    assertFalse(
        Arrays.deepEquals(
            models.load(job.get("fine_tuned_model").asText()).classifier("label").weights,
            models
                .load(
                    calls.get("/fine_tuning/jobs/" + other).body().get("fine_tuned_model").asText())
                .classifier("label")
                .weights));
  }

  @Test
  void badHyperparametersAndFilesAreRefusedNamingTheParam() throws Exception {
    provider = LocalProvider.start(0, storage);
    String training = calls.upload(ProviderCalls.sftFile(ROWS, 0, 40));
    String valid = "{\"model\":\"local-small\",\"training_file\":\"" + training + "\"";
    String hp = ",\"method\":{\"type\":\"supervised\",\"supervised\":{\"hyperparameters\":%s}}}";
    for (String multiplier : List.of("0", "-1", "10.5", "\"fast\"")) {
      assertRefused(
          valid + String.format(hp, "{\"learning_rate_multiplier\":" + multiplier + "}"),
          "learning_rate_multiplier");
    }
    // The deprecated top-level hyperparameters are read too.
    assertRefused(
        valid + ",\"hyperparameters\":{\"learning_rate_multiplier\":0}}",
        "learning_rate_multiplier");
    for (String batch : List.of("0", "257", "2.5", "\"big\"")) {
      assertRefused(valid + String.format(hp, "{\"batch_size\":" + batch + "}"), "batch_size");
    }
    assertRefused(valid + ",\"validation_file\":\"file-0\"}", "validation_file");
    assertRefused(valid + ",\"validation_file\":7}", "validation_file");
    assertRefused("{\"model\":\"local-small\",\"training_file\":\"file-0\"}", "training_file");
    assertEquals(0, provider.jobsCreated(), "a refused request creates no job");

    // The bounds themselves, and "auto", are accepted.
    for (String multiplier : List.of("10", "0.01", "\"auto\"")) {
      Reply ok =
          calls.post(
              "/fine_tuning/jobs",
              valid + String.format(hp, "{\"learning_rate_multiplier\":" + multiplier + "}"));
      assertEquals(200, ok.status(), ok.body().toString());
      JsonNode job = calls.awaitJob(ok.body().get("id").asText());
      assertEquals("succeeded", job.get("status").asText(), job.toString());
    }
  }

  private void assertRefused(String request, String param) throws Exception {
    Reply r = calls.post("/fine_tuning/jobs", request);
    assertEquals(400, r.status(), request + " -> " + r.body());
    JsonNode error = r.body().get("error");
    assertEquals(List.of("message", "type", "param", "code"), fieldNames(error));
    assertEquals("invalid_request_error", error.get("type").asText());
    assertEquals(param, error.get("param").asText(), r.body().toString());
  }

  @Test
  void aValidationFileThatIsNotChatSftFailsTheJobNamingIt() throws Exception {
    provider = LocalProvider.start(0, storage);
    String training = calls.upload(ProviderCalls.sftFile(ROWS, 0, 40));
    String validation = calls.upload("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n");
    Reply created =
        calls.post(
            "/fine_tuning/jobs",
            "{\"model\":\"local-small\",\"training_file\":\""
                + training
                + "\",\"validation_file\":\""
                + validation
                + "\"}");
    assertEquals(200, created.status(), created.body().toString());
    JsonNode failed = calls.awaitJob(created.body().get("id").asText());
    assertEquals("failed", failed.get("status").asText());
    JsonNode error = failed.get("error");
    assertEquals("invalid_validation_file", error.get("code").asText());
    assertEquals("validation_file", error.get("param").asText());
    assertTrue(error.get("message").asText().contains("line 1"), error.toString());
  }
}
