package io.finetune.activities.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.common.Failures;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingFileCheckTest {
  private static final String GOOD =
      "{\"messages\":[{\"role\":\"system\",\"content\":\"Classify.\"},"
          + "{\"role\":\"user\",\"content\":\"refund please\"},"
          + "{\"role\":\"assistant\",\"content\":\"{\\\"category\\\":\\\"billing\\\"}\"}]}";

  @TempDir Path dir;

  private Path file(List<String> lines) throws IOException {
    Path f = Files.createTempFile(dir, "train", ".jsonl");
    Files.write(f, lines, StandardCharsets.UTF_8);
    return f;
  }

  /** Ten good examples with {@code bad} in place of line {@code number} (1-based). */
  private Path withLine(int number, String bad) throws IOException {
    List<String> lines = new ArrayList<>(java.util.Collections.nCopies(10, GOOD));
    lines.set(number - 1, bad);
    return file(lines);
  }

  private static List<String> problems(Path f, TrainingFileRules rules) {
    return TrainingFileCheck.check(f, rules, null).problems();
  }

  @Test
  void aGoodFilePasses() throws IOException {
    Path f = withLine(1, GOOD);
    TrainingFileCheck.Report report =
        TrainingFileCheck.check(f, TrainingFileRules.OPENAI, "gpt-4o");
    assertTrue(report.ok(), report.toString());
    assertEquals(10, report.examples());
    TrainingFileCheck.require(f, "train.jsonl", "openai", TrainingFileRules.TOGETHER, null);
  }

  @Test
  void eachRuleNamesItsLine() throws IOException {
    Map<String, String> cases =
        Map.of(
            "{\"messages\": [",
            "line 4: not valid JSON",
            "{\"messages\":[]} {}",
            "line 4: not valid JSON",
            "[1, 2]",
            "line 4: must be {\"messages\": [...]} with at least one message",
            "{\"prompt\":\"p\",\"completion\":\"c\"}",
            "line 4: must be {\"messages\": [...]} with at least one message",
            "{\"messages\":[{\"content\":\"x\"}]}",
            "line 4: message 1 has no role",
            "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}",
            "line 4: message 1 has role 'tool'; OpenAI takes system, user, assistant",
            "{\"messages\":[{\"role\":\"user\",\"content\":7}]}",
            "line 4: message 1 (user) has no text content",
            "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},"
                + "{\"role\":\"assistant\",\"content\":\"a\"}]}",
            "line 4: no user message",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}",
            "line 4: last message must be from the assistant (was user)",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                + "{\"role\":\"assistant\",\"content\":\"  \"}]}",
            "line 4: the last (assistant) message is empty");
    cases.forEach(
        (line, expected) -> {
          try {
            List<String> problems = problems(withLine(4, line), TrainingFileRules.OPENAI);
            assertEquals(1, problems.size(), line + " -> " + problems);
            assertTrue(problems.get(0).startsWith(expected), line + " -> " + problems);
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
        });
  }

  @Test
  void contentMayBeTextPartsAndBlankLinesAreSkippedButCounted() throws IOException {
    String parts =
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"q\"}]},"
            + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]}]}";
    List<String> lines = new ArrayList<>(java.util.Collections.nCopies(9, GOOD));
    lines.add(parts);
    lines.add(3, "");
    lines.add("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}");
    TrainingFileCheck.Report report =
        TrainingFileCheck.check(file(lines), TrainingFileRules.OPENAI, null);
    assertEquals(11, report.examples());
    assertEquals(
        List.of("line 12: last message must be from the assistant (was user)"), report.problems());
  }

  @Test
  void tooFewExamplesForTheProvider() throws IOException {
    Path three = file(List.of(GOOD, GOOD, GOOD));
    assertEquals(
        List.of("3 examples; OpenAI needs at least 10"), problems(three, TrainingFileRules.OPENAI));
    assertEquals(List.of(), problems(three, TrainingFileRules.TOGETHER), "Together needs 1");
    assertEquals(
        List.of("0 examples; Together AI needs at least 1"),
        problems(file(List.of("", " ")), TrainingFileRules.TOGETHER));
  }

  @Test
  void aFileLargerThanTheProviderTakes() throws IOException {
    TrainingFileRules small =
        new TrainingFileRules(
            "Tiny", 1, 100, List.of("system", "user", "assistant"), false, Map.of(), 1_000);
    List<String> problems = problems(withLine(1, GOOD), small);
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.get(0).matches("the file has \\d+ bytes; Tiny takes at most 100"));
  }

  @Test
  void togetherWantsAlternatingTurnsAfterAnOptionalSystemMessage() throws IOException {
    String twoUsers =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"},"
            + "{\"role\":\"assistant\",\"content\":\"c\"}]}";
    String lateSystem =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
            + "{\"role\":\"system\",\"content\":\"b\"},{\"role\":\"assistant\",\"content\":\"c\"}]}";
    assertEquals(
        List.of(
            "line 2: message 2 (user) follows another user message; after an optional system"
                + " message, user and assistant must alternate"),
        problems(withLine(2, twoUsers), TrainingFileRules.TOGETHER));
    assertEquals(
        List.of("line 3: message 2 is a system message; only the first message may be one"),
        problems(withLine(3, lateSystem), TrainingFileRules.TOGETHER));
    assertEquals(List.of(), problems(withLine(2, twoUsers), TrainingFileRules.OPENAI));
  }

  @Test
  void anExampleLongerThanTheBaseModelsTrainingContext() throws IOException {
    // 40,000 ASCII characters: about 10,000 tokens, above gpt-3.5-turbo-0613's 4,096.
    String longAnswer =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\""
            + "x".repeat(40_000)
            + "\"}]}";
    Path f = withLine(7, longAnswer);
    List<String> problems =
        TrainingFileCheck.check(f, TrainingFileRules.OPENAI, "gpt-3.5-turbo-0613").problems();
    assertEquals(
        List.of(
            "line 7: about 10012 tokens (estimated), more than the 4096-token training context"
                + " of gpt-3.5-turbo-0613"),
        problems);
    assertTrue(
        TrainingFileCheck.check(f, TrainingFileRules.OPENAI, "gpt-4o-mini-2024-07-18").ok(),
        "65,536 tokens for gpt-4o-mini");
    assertTrue(TrainingFileCheck.check(f, TrainingFileRules.OPENAI, null).ok(), "no base model");
  }

  @Test
  void trainingContextsByModelPrefixWithADefault() {
    assertEquals(65_536, TrainingFileRules.OPENAI.trainingContext("gpt-4o-mini-2024-07-18"));
    assertEquals(65_536, TrainingFileRules.OPENAI.trainingContext("gpt-4.1-mini-2025-04-14"));
    assertEquals(4_096, TrainingFileRules.OPENAI.trainingContext("gpt-3.5-turbo-0613"));
    assertEquals(
        65_536,
        TrainingFileRules.OPENAI.trainingContext("ft:gpt-4o-2024-08-06:my-org:triage:AbC123"),
        "a fine-tuned model trains within its base's context");
    assertEquals(16_385, TrainingFileRules.OPENAI.trainingContext("local-small"));
    assertEquals(
        131_072,
        TrainingFileRules.TOGETHER.trainingContext(
            "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"));
    assertEquals(
        24_576,
        TrainingFileRules.TOGETHER.trainingContext("meta-llama/Llama-3.3-70B-Instruct-Reference"));
    assertEquals(8_192, TrainingFileRules.TOGETHER.trainingContext("someone/unknown-7b"));
  }

  @Test
  void invalidUtf8IsNamed() throws IOException {
    Path f = withLine(1, GOOD);
    Files.write(
        f, new byte[] {(byte) 0xC3, (byte) 0x28, '\n'}, java.nio.file.StandardOpenOption.APPEND);
    assertEquals(List.of("line 11: not valid UTF-8"), problems(f, TrainingFileRules.OPENAI));
  }

  @Test
  void theFailureListsTheFirstFiveProblemsAndCountsTheRest() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      lines.add(i % 2 == 0 ? GOOD : "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}");
    }
    Path f = file(lines);
    ApplicationFailure e =
        assertThrows(
            ApplicationFailure.class,
            () ->
                TrainingFileCheck.require(
                    f, "training-files/abc.jsonl", "openai", TrainingFileRules.OPENAI, "gpt-4o"));
    assertTrue(e.isNonRetryable());
    assertEquals(Failures.TRAINING_FILE_INVALID, e.getType());
    String m = e.getOriginalMessage();
    assertTrue(
        m.startsWith(
            "Training file training-files/abc.jsonl does not meet the rules of OpenAI"
                + " (provider 'openai'), 6 problems: line 2: last message must be from the"
                + " assistant (was user); line 4: "),
        m);
    assertTrue(m.contains("; line 10: ") && m.endsWith("; and 1 more"), m);
    assertFalse(m.contains("line 12"), m);
  }
}
