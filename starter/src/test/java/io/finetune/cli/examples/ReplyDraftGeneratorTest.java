package io.finetune.cli.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplyDraftGeneratorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path COMMITTED = Path.of("../examples/reply-drafts");
  private static final Pattern ORDER = Pattern.compile("(?i)order (\\d{5})");

  @TempDir static Path dir;

  @BeforeAll
  static void generate() throws IOException {
    ReplyDraftGenerator.generate(dir);
  }

  @Test
  void theCommittedExampleIsExactlyWhatTheSeededGeneratorMakes() throws IOException {
    for (String f : ReplyDraftGenerator.FILES) {
      assertEquals(
          Files.readString(COMMITTED.resolve(f)),
          Files.readString(dir.resolve(f)),
          f
              + " differs: run ./finetune generate-example --example reply-drafts and commit the"
              + " result");
    }
  }

  @Test
  void generatingAgainWritesTheSameBytes(@TempDir Path again) throws IOException {
    ReplyDraftGenerator.generate(again);
    for (String f : ReplyDraftGenerator.FILES) {
      assertEquals(Files.readString(dir.resolve(f)), Files.readString(again.resolve(f)), f);
    }
  }

  /** Free text, not a handful of labels: the slots make nearly every reply its own. */
  @Test
  void theRepliesAreMostlyDistinct() throws IOException {
    List<JsonNode> train = rows("train.jsonl");
    assertEquals(ReplyDraftGenerator.TRAIN_ROWS, train.size());
    long distinct = train.stream().map(r -> r.path("output").asText()).distinct().count();
    assertTrue(distinct > 0.9 * train.size(), distinct + " distinct of " + train.size());
  }

  @Test
  void eachReplyFillsInTheCustomersNameAndOrderNumber() throws IOException {
    int withOrder = 0;
    for (String file : List.of("train.jsonl", "corner-cases.jsonl")) {
      for (JsonNode r : rows(file)) {
        String input = r.path("input").asText();
        String reply = r.path("output").asText();
        String greeted = reply.substring(reply.indexOf(' ') + 1, reply.indexOf(",\n"));
        assertTrue(input.contains(greeted), "greets " + greeted + ": " + r);
        Matcher m = ORDER.matcher(reply);
        if (m.find()) {
          withOrder++;
          assertTrue(input.contains(m.group(1)), "order " + m.group(1) + ": " + r);
        } else {
          assertTrue(reply.contains("order number?"), "asks for the order number: " + r);
        }
      }
    }
    assertTrue(withOrder > 350, withOrder + " replies quote an order number");
  }

  @Test
  void someCustomersHaveApostrophesOrHyphensInTheirNames() throws IOException {
    List<JsonNode> train = rows("train.jsonl");
    assertTrue(train.stream().anyMatch(r -> r.path("output").asText().contains("O'")));
    assertTrue(train.stream().anyMatch(r -> r.path("output").asText().contains("Jean-Luc")));
  }

  @Test
  void theJudgesAlignmentSetHasEnoughPairsAndTheRightReplyWins() throws IOException {
    List<JsonNode> pairs = rows("judge-alignment.jsonl");
    assertTrue(pairs.size() >= 30, "a judge gates only with 30 pairs or more");
    for (JsonNode p : pairs) {
      String reference = p.path("reference").asText();
      String human = p.path("human").asText();
      switch (human) {
        case "tie" -> assertEquals(p.path("a").asText(), p.path("b").asText());
        case "a" -> assertEquals(reference, p.path("a").asText());
        case "b" -> assertEquals(reference, p.path("b").asText());
        default -> throw new AssertionError("human verdict " + human);
      }
      if (!human.equals("tie")) {
        assertFalse(p.path("a").asText().equals(p.path("b").asText()), p.toString());
      }
    }
  }

  private static List<JsonNode> rows(String file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve(file))) {
      out.add(JSON.readTree(line));
    }
    return out;
  }
}
