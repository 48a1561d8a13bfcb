package io.finetune.activities.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.spec.FieldType;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.spec.TargetReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpecLoaderTest {
  @TempDir Path dir;

  @BeforeEach
  void data() throws IOException {
    Files.writeString(
        dir.resolve("train.jsonl"), "{\"input\":\"a\",\"output\":{\"label\":\"x\"}}\n");
  }

  private Path spec(String yaml) throws IOException {
    return Files.writeString(dir.resolve("spec.yaml"), yaml);
  }

  private static final String MINIMAL =
      """
      name: demo
      dataset:
        path: train.jsonl
      outputFields: [label]
      prompt: "Label it."
      target:
        score: 0.8
      """;

  @Test
  void completesAMinimalSpecWithDefaultsAndAbsolutePaths() throws IOException {
    PipelineSpec s = SpecLoader.load(spec(MINIMAL));

    assertEquals(dir.resolve("train.jsonl").toString(), s.dataset().path());
    assertEquals("input", s.dataset().inputField());
    assertEquals("exact_match", s.target().metric());
    assertTrue(s.model().sizeIsAuto());
    assertEquals(TargetReason.QUALITY, s.target().reason());
    assertEquals("local-large", s.model().promptModel());
    assertEquals("local", s.provider());
    assertEquals(0.10, s.split().testFraction());
    assertEquals(42L, s.split().seed());
    assertEquals(0.05, s.drift().maxNewVocabularyRate());
    assertEquals(0.10, s.split().validationFraction());
    assertEquals(List.of(new PipelineSpec.Variant(null, null)), s.model().variants());
  }

  /**
   * Every spec example in README.md's provider section loads as pasted: each block that starts with
   * {@code # spec}, completed by the minimal spec's other fields.
   */
  @Test
  void theReadmesProviderSpecExamplesLoad() throws IOException {
    List<String> blocks = readmeYamlBlocks("# spec");
    assertTrue(blocks.size() >= 3, "spec examples in README: " + blocks.size());
    for (String block : blocks) {
      java.util.Set<String> keys = new java.util.HashSet<>();
      for (String line : block.lines().toList()) {
        if (line.matches("^[A-Za-z]+:.*")) {
          keys.add(line.substring(0, line.indexOf(':')));
        }
      }
      StringBuilder yaml = new StringBuilder();
      String key = null;
      for (String line : MINIMAL.lines().toList()) {
        if (line.matches("^[A-Za-z]+:.*")) {
          key = line.substring(0, line.indexOf(':'));
        }
        if (!keys.contains(key)) {
          yaml.append(line).append('\n');
        }
      }
      yaml.append(block);
      PipelineSpec s = SpecLoader.load(spec(yaml.toString()));
      assertTrue(s.model().promptModel() != null, block);
    }
  }

  static List<String> readmeYamlBlocks(String firstLine) throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    String section = readme.substring(readme.indexOf("\n## Providers"));
    section = section.substring(0, section.indexOf("\n## ", 5));
    List<String> blocks = new java.util.ArrayList<>();
    for (String part : section.split("```yaml\n", -1)) {
      if (part.startsWith(firstLine)) {
        blocks.add(part.substring(0, part.indexOf("```")));
      }
    }
    return blocks;
  }

  @Test
  void driftChecksReadAFolderUnlessTheSpecSaysTraces() throws IOException {
    PipelineSpec plain = SpecLoader.load(spec(MINIMAL));
    assertNull(plain.drift().source(), "not written out: the spec stays as before");
    assertFalse(plain.drift().readsTraces());
    assertTrue(SpecLoader.load(spec(MINIMAL + "drift:\n  source: traces\n")).drift().readsTraces());
    SpecException e =
        assertThrows(
            SpecException.class, () -> SpecLoader.load(spec(MINIMAL + "drift:\n  source: logs\n")));
    assertTrue(
        e.getMessage().contains("drift.source")
            && e.getMessage().contains("must be one of folder, traces, was logs"),
        e.getMessage());
  }

  @Test
  void aPromptProviderNeedsItsPromptModel() throws IOException {
    SpecException e =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "model:\n  promptProvider: vllm\n")));
    assertTrue(e.getMessage().contains("model.promptModel"), e.getMessage());
    PipelineSpec s =
        SpecLoader.load(
            spec(MINIMAL + "model:\n  promptProvider: vllm\n  promptModel: qwen2.5:7b\n"));
    assertEquals("vllm", s.model().promptProvider());
    assertEquals("local", s.provider());
  }

  @Test
  void aSweepIsEveryCombinationWithinItsBudget() throws IOException {
    PipelineSpec s =
        SpecLoader.load(
            spec(
                MINIMAL
                    + """
                    model:
                      sizes: [small, medium]
                      sweep:
                        epochs: [2, 4]
                        learningRateMultiplier: [0.5, 1, 2]
                    split:
                      validationFraction: 0.2
                    """));
    assertEquals(6, s.model().variants().size());
    assertEquals("e4-lr0.5", s.model().variants().get(3).label());
    assertEquals(0.2, s.split().validationFraction());

    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        MINIMAL
                            + """
                            model:
                              sizes: [small, medium]
                              sweep:
                                epochs: [2, 4, 0]
                                learningRateMultiplier: [0.5, 1]
                                maxCandidates: 4
                            split:
                              validationFraction: 0.5
                            """)));
    assertTrue(e.getMessage().contains("12 candidates (2 sizes x 6 combinations"), e.getMessage());
    assertTrue(e.getMessage().contains("exceed the budget maxCandidates 4"), e.getMessage());
    assertTrue(e.getMessage().contains("model.sweep.epochs"), e.getMessage());
    assertTrue(e.getMessage().contains("split.validationFraction"), e.getMessage());
  }

  @Test
  void aTextTaskNeedsNoOutputFieldsAndScoresByChrfByDefault() throws IOException {
    PipelineSpec s =
        SpecLoader.load(
            spec(
                """
                name: demo
                task: text
                dataset:
                  path: train.jsonl
                  format: chat
                prompt: "Answer it."
                target:
                  score: 0.8
                """));

    assertTrue(s.textTask());
    assertEquals(List.of(), s.outputFields());
    assertEquals("chat", s.dataset().format());
    assertEquals("chrf", s.target().metric());
    // A fields spec keeps the task and format out of history, as older workers wrote it.
    PipelineSpec fields = SpecLoader.load(spec(MINIMAL));
    assertEquals(null, fields.task());
    assertEquals(null, fields.dataset().format());
  }

  @Test
  void aTaskAndFormatThatDoNotFitAreRefusedByField() throws IOException {
    SpecException text =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        """
                        name: demo
                        task: text
                        dataset:
                          path: train.jsonl
                          format: json-string
                        outputFields: [label]
                        prompt: "Answer it."
                        target:
                          score: 0.8
                          metric: exact_match
                        """)));
    String m = text.getMessage();
    assertTrue(m.contains("dataset.format: task text needs free-text answers: text or chat"), m);
    assertTrue(m.contains("outputFields: task text has no output fields"), m);
    assertTrue(m.contains("target.metric: must be one of text_exact_match, chrf"), m);

    SpecException fields =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        MINIMAL.replace("path: train.jsonl", "path: train.jsonl\n  format: text")
                            + "task: summary\n")));
    assertTrue(fields.getMessage().contains("task: must be fields"), fields.getMessage());
    assertTrue(
        fields.getMessage().contains("dataset.format: text answers need task: text"),
        fields.getMessage());
  }

  @Test
  void invalidRowsAreFailedByDefaultOrReviewed() throws IOException {
    assertNull(SpecLoader.load(spec(MINIMAL)).dataset().invalidRows());
    assertNull(
        SpecLoader.load(
                spec(
                    MINIMAL.replace("path: train.jsonl", "path: train.jsonl\n  invalidRows: fail")))
            .dataset()
            .invalidRows());
    PipelineSpec review =
        SpecLoader.load(
            spec(MINIMAL.replace("path: train.jsonl", "path: train.jsonl\n  invalidRows: review")));
    assertEquals("review", review.dataset().invalidRows());
    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        MINIMAL.replace(
                            "path: train.jsonl", "path: train.jsonl\n  invalidRows: drop"))));
    assertTrue(
        e.getMessage().contains("dataset.invalidRows: must be fail (a row that cannot be read"),
        e.getMessage());
  }

  @Test
  void theBundledExampleSpecLoads() {
    PipelineSpec s = SpecLoader.load(Path.of("../examples/ticket-triage/spec.yaml"));
    assertEquals("ticket-triage", s.name());
    assertEquals(List.of(Size.SMALL, Size.MEDIUM, Size.LARGE), s.model().sizes());
    assertEquals(1, s.evalSets().size());
  }

  @Test
  void anUnknownFieldIsNamedWithItsLineAndTheKnownFields() throws IOException {
    SpecException e =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "split:\n  testFraktion: 0.1\n")));
    assertTrue(e.getMessage().contains("unknown field 'split.testFraktion'"), e.getMessage());
    assertTrue(e.getMessage().contains(":9"), e.getMessage());
    assertTrue(e.getMessage().contains("testFraction"), e.getMessage());
  }

  @Test
  void invalidValuesAreAllReportedByField() throws IOException {
    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        """
                        name: Bad Name
                        dataset:
                          path: missing.jsonl
                        outputFields: [label]
                        prompt: "x"
                        target:
                          score: 1.5
                          metric: field:nope
                        model:
                          sizes: [huge]
                        split:
                          testFraction: 0.5
                        evalSets:
                          - {name: corner, path: train.jsonl}
                          - {name: corner, path: train.jsonl}
                          - {name: fresh-holdout, path: train.jsonl}
                        """)));
    String m = e.getMessage();
    for (String expected :
        List.of(
            "name: must be",
            "dataset.path: file not found",
            "target.score: must be between 0 and 1",
            "target.metric: must be one of exact_match, field:label",
            "model.sizes: unknown size 'huge'",
            "split.testFraction: must be between 0.05 and 0.10",
            "evalSets[1].name: 'corner' is taken",
            "evalSets[2].name: 'fresh-holdout' is reserved")) {
      assertTrue(m.contains(expected), "missing '" + expected + "' in:\n" + m);
    }
  }

  @Test
  void outputFieldsMayNameTheirTypes_andAnUnknownTypeIsRefused() throws IOException {
    PipelineSpec typed =
        SpecLoader.load(
            spec(
                MINIMAL.replace(
                    "outputFields: [label]",
                    "outputFields:\n  label: category\n  due: date\n  note:\n")));
    assertEquals(List.of("label", "due", "note"), typed.outputFields());
    assertEquals(Map.of("label", "category", "due", "date"), typed.fieldTypes());
    assertEquals(FieldType.DATE, typed.fieldType("due"));
    assertNull(typed.fieldType("note"), "left to detection");
    assertEquals(Map.of(), SpecLoader.load(spec(MINIMAL)).fieldTypes());

    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(MINIMAL.replace("outputFields: [label]", "outputFields: {label: when}"))));
    assertTrue(
        e.getMessage()
            .contains(
                "outputFields.label: type must be one of category, text, date, number, was when"),
        e.getMessage());
  }

  @Test
  void aCategoryMayListItsValues_oldFormsStillLoad() throws IOException {
    PipelineSpec s =
        SpecLoader.load(
            spec(
                MINIMAL.replace(
                    "outputFields: [label]",
                    """
                    outputFields:
                      label: {type: category, values: [positive, negative, neutral]}
                      stars: {values: [1, 2, 3]}
                      due: date
                    """)));
    assertEquals(List.of("label", "stars", "due"), s.outputFields());
    assertEquals(
        Map.of("label", "category", "stars", "category", "due", "date"),
        s.fieldTypes(),
        "values make a category");
    assertEquals(List.of("positive", "negative", "neutral"), s.allowedValues("label"));
    assertEquals(List.of("1", "2", "3"), s.allowedValues("stars"), "labels are compared as text");
    assertEquals(List.of(), s.allowedValues("due"));
    assertEquals(Map.of(), SpecLoader.load(spec(MINIMAL)).fieldValues());
  }

  @Test
  void aWrongLabelSchemaIsNamedField() throws IOException {
    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        MINIMAL.replace(
                            "outputFields: [label]",
                            """
                            outputFields:
                              label: {type: category, values: []}
                              due: {type: date, values: [2024-01-01]}
                              note: {type: text, allowed: [a]}
                              tone: {values: [calm, calm]}
                              size: {type: huge}
                            """))));
    for (String expected :
        List.of(
            "outputFields.label.values: must be a non-empty list of labels",
            "outputFields.due.values: only a category has a set of values; this field is date",
            "outputFields.note: unknown key(s) [allowed]",
            "outputFields.tone.values: lists 'calm' twice",
            "outputFields.size.type: must be one of category, text, date, number, was huge")) {
      assertTrue(e.getMessage().contains(expected), "missing '" + expected + "' in:\n" + e);
    }
  }

  @Test
  void anAnswerSchemaIsAJsonSchemaFileBesideTheSpec() throws IOException {
    Files.writeString(
        dir.resolve("answer.schema.json"), "{\"type\": \"object\", \"required\": [\"label\"]}");
    PipelineSpec s = SpecLoader.load(spec(MINIMAL + "answerSchema: answer.schema.json\n"));
    assertEquals(dir.resolve("answer.schema.json").toString(), s.answerSchema());
    assertNull(SpecLoader.load(spec(MINIMAL)).answerSchema());

    SpecException missing =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "answerSchema: nowhere.json\n")));
    assertTrue(
        missing
            .getMessage()
            .contains("answerSchema: file not found: " + dir.resolve("nowhere.json")),
        missing.getMessage());
    Files.writeString(dir.resolve("broken.json"), "{\"type\": ");
    SpecException broken =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "answerSchema: broken.json\n")));
    assertTrue(broken.getMessage().contains("broken.json: not valid JSON"), broken.getMessage());
  }

  @Test
  void aWrongTypeIsNamed() throws IOException {
    SpecException e =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL.replace("score: 0.8", "score: [1]"))));
    assertTrue(e.getMessage().contains("field 'target.score' has the wrong type"), e.getMessage());
  }

  @Test
  void anOtherProviderNeedsItsModelIds() throws IOException {
    SpecException e =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "provider: openai\nmodel:\n  sizes: [small]\n")));
    assertTrue(e.getMessage().contains("model.baseModels.small: is required"), e.getMessage());
  }

  @Test
  void aJudgeIsOptionalAndCompletedWithDefaults() throws IOException {
    assertEquals(null, SpecLoader.load(spec(MINIMAL)).judge());
    Files.writeString(dir.resolve("human.jsonl"), "");
    PipelineSpec s =
        SpecLoader.load(
            spec(
                MINIMAL
                    + """
                    judge:
                      model: local-judge
                      rubric: "The right label."
                      alignment: human.jsonl
                      gate: true
                    """));

    assertEquals("local-judge", s.judge().model());
    assertEquals("local", s.judge().provider(), "the spec's provider by default");
    assertEquals(SpecLoader.DEFAULT_JUDGE_MAX_PAIRS, s.judge().maxPairs());
    assertEquals(0.6, s.judge().minKappa());
    assertEquals(dir.resolve("human.jsonl").toString(), s.judge().alignment());
    assertTrue(s.judge().gate());
  }

  @Test
  void aJudgeOfTheCandidatesOwnFamilyIsRefused() throws IOException {
    SpecException e =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "judge:\n  model: local-medium\n")));
    assertTrue(
        e.getMessage().contains("judge.model: 'local-medium' is the base model of size medium"),
        e.getMessage());

    e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(spec(MINIMAL + "judge:\n  model: \"ft:local-small:demo:abc\"\n")));
    assertTrue(
        e.getMessage().contains("'ft:local-small:demo:abc' is tuned from the base model of size"),
        e.getMessage());

    // The judge compares candidates with the prompt baseline: not the baseline's family either.
    e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        MINIMAL
                            + "model:\n  promptProvider: vllm\n  promptModel: qwen\n"
                            + "judge:\n  model: qwen\n")));
    assertTrue(e.getMessage().contains("of the prompt baseline's family"), e.getMessage());
  }

  @Test
  void aJudgesOtherFieldsAreChecked() throws IOException {
    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        MINIMAL
                            + """
                            judge:
                              maxPairs: 0
                              alignment: missing.jsonl
                              minKappa: 2
                            """)));
    assertTrue(e.getMessage().contains("judge.model: is required"), e.getMessage());
    assertTrue(e.getMessage().contains("judge.maxPairs: must be at least 1"), e.getMessage());
    assertTrue(e.getMessage().contains("judge.alignment: file not found"), e.getMessage());
    assertTrue(e.getMessage().contains("judge.minKappa: must be between"), e.getMessage());
  }

  @Test
  void aRolloutHasDefaultsAndEveryBadValueIsNamed() throws IOException {
    assertNull(SpecLoader.load(spec(MINIMAL)).rollout(), "no rollout: a promotion serves at once");
    PipelineSpec.RolloutPolicy r =
        SpecLoader.load(spec(MINIMAL + "rollout:\n  window: 3d\n  onWorse: ask\n")).rollout();
    assertEquals(0.10, r.canaryShare());
    assertEquals(3 * 86400, r.windowSeconds());
    assertEquals(100, r.minEvents());
    assertEquals(0.05, r.maxPValue());
    assertTrue(r.asksPerson());
    assertEquals(
        45,
        SpecLoader.load(spec(MINIMAL + "rollout:\n  window: PT45S\n")).rollout().windowSeconds());

    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                SpecLoader.load(
                    spec(
                        MINIMAL
                            + "rollout:\n  canaryShare: 1.5\n  window: soon\n  minEvents: 0\n"
                            + "  onWorse: panic\n  judgeShare: 0.2\n")));
    for (String field :
        List.of(
            "rollout.canaryShare",
            "rollout.window",
            "rollout.minEvents",
            "rollout.onWorse",
            "rollout.judgeShare")) {
      assertTrue(e.getMessage().contains(field), field + " in: " + e.getMessage());
    }
    assertTrue(e.getMessage().contains("needs a judge"), e.getMessage());
  }

  @Test
  void approvalTimersAreDurationsAndARemindAfterPastTheTimeoutIsRefused() throws IOException {
    PipelineSpec.Approval a =
        SpecLoader.load(spec(MINIMAL + "approval:\n  remindAfter: 4h\n  timeout: 3d\n")).approval();
    assertEquals(4 * 3600L, a.remindAfterSeconds());
    assertEquals(3 * 86400L, a.timeoutSeconds());
    assertNull(SpecLoader.load(spec(MINIMAL)).approval().timeoutSeconds());

    SpecException e =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "approval:\n  remindAfter: 2d\n  timeout: 1d\n")));
    assertTrue(e.getMessage().contains("approval.remindAfter"), e.getMessage());
    SpecException bad =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "approval:\n  timeout: whenever\n")));
    assertTrue(bad.getMessage().contains("approval.timeout"), bad.getMessage());
  }

  @Test
  void requireTokenIsOffUnlessTheSpecTurnsItOn() throws IOException {
    assertFalse(SpecLoader.load(spec(MINIMAL)).approval().requireToken());
    PipelineSpec.Approval a =
        SpecLoader.load(
                spec(MINIMAL + "approval:\n  approvers: [alice, bob]\n  requireToken: true\n"))
            .approval();
    assertTrue(a.requireToken());
    assertEquals(List.of("alice", "bob"), a.approvers());

    SpecException bad =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL + "approval:\n  requireToken: maybe\n")));
    assertTrue(bad.getMessage().contains("requireToken"), bad.getMessage());
  }

  /**
   * Cases the fuzz test ({@link SpecLoaderFuzzTest}) found, shrunk: empty list items and a path
   * that cannot be one failed with a NullPointerException or InvalidPathException instead of naming
   * the field.
   */
  @Test
  void emptyListItemsAndImpossiblePathsAreNamedNotThrown() throws IOException {
    Map<String, String> cases =
        Map.of(
            "model:\n  sweep:\n    epochs: [~]\n", "model.sweep.epochs",
            "model:\n  sweep:\n    learningRateMultiplier: [1.0, ~]\n",
                "model.sweep.learningRateMultiplier",
            "evalSets: [~]\n", "evalSets[0]: is empty",
            "approval:\n  approvers: [alice, ~]\n", "approval.approvers[1]: is empty",
            "model:\n  sizes: [small, ~]\n", "model.sizes[1]: is empty",
            "judge:\n  model: local-judge\n  alignment: \"a\\0b\"\n",
                "judge.alignment: is not a file path",
            "evalSets: [{name: extra, path: \"a\\0b\"}]\n", "evalSets[0].path: is not a file path",
            "answerSchema: \"a\\0b\"\n", "answerSchema: is not a file path",
            "model:\n  baseModels: {small: ~}\n", "model.baseModels.small: is empty");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      SpecException e =
          assertThrows(SpecException.class, () -> SpecLoader.load(spec(MINIMAL + c.getKey())));
      assertTrue(e.getMessage().contains(c.getValue()), c.getKey() + " -> " + e.getMessage());
    }
    SpecException path =
        assertThrows(
            SpecException.class,
            () -> SpecLoader.load(spec(MINIMAL.replace("train.jsonl", "\"\\r\\0*\""))));
    assertTrue(path.getMessage().contains("dataset.path: is not a file path"), path.getMessage());
  }
}
