package io.finetune.activities.spec;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.fuzz.Fuzz;
import io.finetune.activities.fuzz.JsonTrees;
import io.finetune.activities.fuzz.Mutants;
import io.finetune.activities.fuzz.Mutants.Seed;
import io.finetune.activities.fuzz.Outcome;
import io.finetune.workflows.spec.PipelineSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spec loader on specs made from the examples' and the tests' specs by byte edits and by fields
 * of the wrong type: every one loads, or is refused with a {@link SpecException} that names the
 * file; nothing else is thrown and nothing hangs.
 */
class SpecLoaderFuzzTest {
  static final String READER = "spec loader";

  @TempDir static Path dir;

  static final String MINIMAL =
      """
      name: demo
      dataset:
        path: train.jsonl
      outputFields: [label]
      prompt: "Label it."
      target:
        score: 0.8
      """;

  static final String FULL =
      """
      name: full-spec
      task: fields
      dataset: {path: train.jsonl, inputField: input, outputField: output, format: fields,
        invalidRows: review}
      outputFields:
        category: {type: category, values: [billing, technical]}
        when: date
        note:
      evalSets: [{name: corner-cases, path: corner-cases.jsonl}]
      prompt: Label it.
      answerSchema: schema.json
      target: {metric: "field:category", score: 0.8, reason: cost, margin: 0.01}
      model:
        sizes: small
        baseModels: {small: gpt-x-mini}
        promptModel: gpt-x
        promptProvider: openai
        sweep: {epochs: [1, 2], learningRateMultiplier: 0.5, maxCandidates: 3}
      provider: openai
      split: {testFraction: 0.2, seed: 9, validationFraction: 0.1}
      approval: {approvers: [alice], remindAfter: 12h, timeout: P3D, requireToken: true}
      drift: {maxNewVocabularyRate: 0.1, maxCategories: 20, source: traces}
      judge: {model: local-judge, provider: local, maxPairs: 10, alignment: judge-alignment.jsonl,
        minKappa: 0.5, gate: true}
      rollout: {canaryShare: 0.1, window: 1d, minEvents: 10, maxPValue: 0.05, onWorse: ask,
        judgeShare: 0.2}
      """;

  static final List<String> WORDS =
      List.of(
          "name",
          "dataset",
          "path",
          "inputField",
          "outputField",
          "format",
          "invalidRows",
          "outputFields",
          "evalSets",
          "prompt",
          "target",
          "metric",
          "score",
          "reason",
          "margin",
          "model",
          "sizes",
          "baseModels",
          "promptModel",
          "epochs",
          "sweep",
          "learningRateMultiplier",
          "maxCandidates",
          "promptProvider",
          "provider",
          "split",
          "testFraction",
          "seed",
          "validationFraction",
          "approval",
          "approvers",
          "remindAfter",
          "requireToken",
          "timeout",
          "drift",
          "source",
          "judge",
          "rubric",
          "maxPairs",
          "alignment",
          "minKappa",
          "gate",
          "task",
          "rollout",
          "canaryShare",
          "window",
          "minEvents",
          "maxPValue",
          "onWorse",
          "judgeShare",
          "answerSchema",
          "type",
          "values",
          "text",
          "fields",
          "chat",
          "json-string",
          "category",
          "date",
          "number",
          "auto",
          "small",
          "medium",
          "large",
          "local",
          "openai",
          "train.jsonl",
          "schema.json",
          "corner-cases",
          "test",
          "fresh-holdout",
          "exact_match",
          "field:category",
          "review",
          "fail",
          "ask",
          "rollback",
          "traces");

  @BeforeAll
  static void files() throws IOException {
    for (String f : List.of("train.jsonl", "corner-cases.jsonl", "judge-alignment.jsonl")) {
      Files.copy(Path.of("../examples/ticket-triage", f), dir.resolve(f));
    }
    Files.writeString(
        dir.resolve("schema.json"),
        "{\"type\": \"object\", \"required\": [\"category\"],"
            + " \"properties\": {\"category\": {\"type\": \"string\"}}}");
  }

  private static List<Seed> seeds() {
    return List.of(
        Seed.of(Path.of("../examples/ticket-triage/spec.yaml")),
        Seed.of(Path.of("../examples/call-logs/spec.yaml")),
        Seed.of(Path.of("../examples/reply-drafts/spec.yaml")),
        Seed.of("minimal", MINIMAL),
        Seed.of("full", FULL));
  }

  private static Map<String, JsonNode> trees() {
    Map<String, JsonNode> trees = new LinkedHashMap<>();
    for (Seed s : seeds()) {
      trees.put(
          s.name(), JsonTrees.read(JsonTrees.YAML, new String(s.bytes(), StandardCharsets.UTF_8)));
    }
    return trees;
  }

  @Test
  void aSpecWithItsBytesEditedLoadsOrIsRefusedByName() {
    List<Seed> seeds = seeds();
    Fuzz.check(
        READER,
        "specBytesEdited",
        1,
        (SplittableRandom r) -> Mutants.random(r, seeds, WORDS),
        Mutants::smaller,
        spec -> check(Files.write(dir.resolve("spec.yaml"), spec.bytes()), spec));
  }

  @Test
  void aSpecWithFieldsOfTheWrongTypeLoadsOrIsRefusedByName() {
    Map<String, JsonNode> trees = trees();
    Fuzz.check(
        READER,
        "specFieldsChanged",
        1,
        (SplittableRandom r) -> JsonTrees.changed(r, trees, WORDS),
        JsonTrees::smaller,
        spec ->
            check(
                Files.write(dir.resolve("spec.yaml"), spec.yaml().getBytes(StandardCharsets.UTF_8)),
                spec));
  }

  @Test
  void theSameAsJson() {
    Map<String, JsonNode> trees = trees();
    Fuzz.check(
        READER,
        "specFieldsChangedAsJson",
        0.5,
        (SplittableRandom r) -> JsonTrees.changed(r, trees, WORDS),
        JsonTrees::smaller,
        spec ->
            check(
                Files.write(dir.resolve("spec.json"), spec.json().getBytes(StandardCharsets.UTF_8)),
                spec));
  }

  private static void check(Path file, Object input) {
    Outcome<PipelineSpec> o = Outcome.of(() -> SpecLoader.load(file), SpecException.class, input);
    if (o.failed()) {
      o.message(o.error().getMessage(), file.toString());
      return;
    }
    PipelineSpec s = o.result();
    assertTrue(Path.of(s.dataset().path()).isAbsolute(), s.dataset().path());
    assertTrue(Files.isRegularFile(Path.of(s.dataset().path())), s.dataset().path());
  }
}
