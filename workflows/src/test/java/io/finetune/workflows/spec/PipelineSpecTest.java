package io.finetune.workflows.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelineSpecTest {
  private static final PipelineSpec REVIEWS =
      new PipelineSpec(
          "reviews",
          new PipelineSpec.Dataset("/data/reviews.jsonl", "text", "label"),
          List.of("sentiment"),
          List.of(new PipelineSpec.EvalSet("golden", "/data/golden.jsonl", EvalSetRole.SPEC)),
          "Classify.",
          new PipelineSpec.Target("exact_match", 0.9, TargetReason.QUALITY),
          new PipelineSpec.Model(List.of(Size.SMALL), Map.of("small", "s"), "l", null),
          "local",
          new PipelineSpec.Split(0.1, 1L),
          new PipelineSpec.Approval(List.of()),
          new PipelineSpec.Drift(0.05, 0.1, 0.8, 0.2));

  @Test
  void retrainingReadsItsOwnFilesInThePipelinesFormatAndTheSpecsSetsWithTheUsersFields() {
    PipelineSpec retrain = REVIEWS.forRetraining("/store/retrain.jsonl", "/store/fresh.jsonl");

    assertEquals(
        new PipelineSpec.Dataset("/store/retrain.jsonl", "input", "output"), retrain.dataset());
    PipelineSpec.EvalSet golden = retrain.evalSets().get(0);
    assertEquals("text", golden.inputField());
    assertEquals("label", golden.outputField());
    PipelineSpec.EvalSet fresh = retrain.evalSets().get(1);
    assertEquals(EvalSetRole.FRESH_HOLDOUT, fresh.role());
    assertEquals("input", fresh.inputField());
    assertEquals("output", fresh.outputField());

    // Retraining a retrained model keeps the user's fields for the user's sets.
    PipelineSpec again = retrain.forRetraining("/store/retrain-2.jsonl", "/store/fresh-2.jsonl");
    assertEquals("text", again.evalSets().get(0).inputField());
  }

  @Test
  void setsOfSpecsWrittenBeforeFieldsAndRolesWereKnownReadWithTheDatasetsFields() {
    PipelineSpec.EvalSet old = new PipelineSpec.EvalSet("corner-cases", "/c.jsonl", null);
    assertEquals(EvalSetRole.SPEC, old.role());
    assertNull(old.inputField());
    assertEquals(
        EvalSetRole.FRESH_HOLDOUT,
        new PipelineSpec.EvalSet(EvalSetRole.FRESH_HOLDOUT_NAME, "/f.jsonl", null).role());
  }

  @Test
  void specsFromBeforeTasksAndFormatsReadAsFieldsTasksWithDetectedFormats() throws Exception {
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    var old = (com.fasterxml.jackson.databind.node.ObjectNode) json.valueToTree(REVIEWS);
    old.remove("task");
    ((com.fasterxml.jackson.databind.node.ObjectNode) old.get("dataset")).remove("format");

    PipelineSpec read = json.treeToValue(old, PipelineSpec.class);

    assertEquals(REVIEWS, read);
    assertNull(read.task());
    assertNull(read.dataset().format());
    assertEquals(false, read.textTask());
    PipelineSpec text =
        new PipelineSpec(
            "faq",
            new PipelineSpec.Dataset("/data/faq.jsonl", "input", "output", DatasetFormat.CHAT),
            List.of(),
            List.of(),
            "Answer.",
            REVIEWS.target(),
            REVIEWS.model(),
            "local",
            REVIEWS.split(),
            REVIEWS.approval(),
            REVIEWS.drift(),
            null,
            PipelineSpec.TASK_TEXT);
    assertEquals(text, json.readValue(json.writeValueAsString(text), PipelineSpec.class));
    assertEquals(PipelineSpec.TASK_TEXT, text.withSizes(List.of(Size.LARGE)).task());
  }
}
