package io.finetune.cli.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.spec.SpecLoader;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.spec.FieldType;
import io.finetune.workflows.spec.PipelineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The committed examples are what the demo runs: their specs must load as they are. */
class BundledExamplesTest {
  private static final Path EXAMPLES = Path.of("../examples");

  @Test
  void everyExampleSpecLoadsWithItsFiles() throws IOException {
    for (String name : BundledExamples.names()) {
      PipelineSpec spec = SpecLoader.load(EXAMPLES.resolve(name).resolve("spec.yaml"));
      assertEquals(name, spec.name());
      assertNotNull(spec.judge(), name + " has a judge");
      assertNotNull(spec.judge().alignment(), name + " measures its judge against people");
      for (String f : BundledExamples.named(name).orElseThrow().files()) {
        assertTrue(Files.isRegularFile(EXAMPLES.resolve(name).resolve(f)), name + "/" + f);
      }
    }
  }

  @Test
  void theCallLogSpecTypesItsFields() {
    PipelineSpec spec = SpecLoader.load(EXAMPLES.resolve("call-logs/spec.yaml"));
    assertEquals(List.of("caller", "callback_date", "reason"), spec.outputFields());
    assertEquals(FieldType.TEXT, spec.fieldType("caller"));
    assertEquals(FieldType.DATE, spec.fieldType("callback_date"));
    assertEquals(FieldType.CATEGORY, spec.fieldType("reason"));
    assertEquals(Scores.EXACT_MATCH, spec.target().metric());
    assertEquals(0.05, spec.drift().outOfRangeLimit());
    // The untuned model is told every field and, for the category, its values and cue words.
    assertTrue(
        spec.prompt()
            .contains(
                "Answer with a JSON object {\"caller\": ..., \"callback_date\": ...,"
                    + " \"reason\": ...}"));
    for (String reason : CallLogGenerator.REASONS) {
      assertTrue(spec.prompt().contains("\n- " + reason), reason);
    }
  }

  @Test
  void theReplyDraftSpecIsAFreeTextTaskScoredByChrf() {
    PipelineSpec spec = SpecLoader.load(EXAMPLES.resolve("reply-drafts/spec.yaml"));
    assertTrue(spec.textTask());
    assertEquals(List.of(), spec.outputFields());
    assertEquals(Scores.CHRF, spec.target().metric());
    assertEquals("local-judge", spec.judge().model());
  }

  /** The demo checks drift on an example's production-*.jsonl: the ones that have one. */
  @Test
  void theDriftExamplesHaveAProductionBatchAndTheFreeTextOneNone() throws IOException {
    assertEquals(List.of("production-2024.jsonl"), batches("ticket-triage"));
    assertEquals(List.of("production-2024.jsonl"), batches("call-logs"));
    assertEquals(List.of(), batches("reply-drafts"));
  }

  @Test
  void anUnknownExampleIsNone() {
    assertNull(BundledExamples.named("nope").orElse(null));
    assertEquals(List.of("ticket-triage", "call-logs", "reply-drafts"), BundledExamples.names());
  }

  private static List<String> batches(String example) throws IOException {
    try (Stream<Path> files = Files.list(EXAMPLES.resolve(example))) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(f -> f.startsWith("production-") && f.endsWith(".jsonl"))
          .sorted()
          .toList();
    }
  }
}
