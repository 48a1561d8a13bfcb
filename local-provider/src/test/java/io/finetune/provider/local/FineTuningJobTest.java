package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.provider.local.FineTuningJob.Status;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FineTuningJobTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void statusesAreTheApiStrings() throws Exception {
    List<String> api =
        List.of("validating_files", "queued", "running", "succeeded", "failed", "cancelled");
    assertEquals(
        api, Arrays.stream(Status.values()).map(s -> JSON.valueToTree(s).asText()).toList());
    for (String s : api) {
      assertEquals(s, JSON.readValue("\"" + s + "\"", Status.class).apiValue());
    }
  }

  @Test
  void eachStepReturnsANewJobAndLeavesTheOldOne() throws Exception {
    FineTuningJob created =
        FineTuningJob.created(
            "ftjob-1",
            "local-small",
            10,
            "file-1",
            "file-2",
            42,
            "",
            new FineTuningJob.Hyperparameters(3, 8, 0.5),
            Map.of("k", "v"));
    FineTuningJob done = created.running().succeeded("ft:local-small:custom:1", 40, 20);

    assertEquals(Status.VALIDATING_FILES, created.status());
    assertNull(created.fineTunedModel());
    assertEquals(Status.SUCCEEDED, done.status());
    assertEquals(40, done.trainedTokens());
    assertEquals(Status.CANCELLED, created.cancelled().status());
    FineTuningJob failed =
        created.running().failed("invalid_validation_file", "bad", "validation_file");
    assertEquals(
        new FineTuningJob.Error("invalid_validation_file", "bad", "validation_file"),
        failed.error());
    assertEquals("file-2", failed.validationFile());
    assertEquals(new TrainingOptions(3, 8, 0.5), done.hyperparameters().trainingOptions());
    // What is saved is read back as the same job.
    assertEquals(done, JSON.readValue(JSON.writeValueAsString(done), FineTuningJob.class));
  }
}
