package io.finetune.cli.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallLogGeneratorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path COMMITTED = Path.of("../examples/call-logs");

  @TempDir static Path dir;

  @BeforeAll
  static void generate() throws IOException {
    CallLogGenerator.generate(dir);
  }

  @Test
  void theCommittedExampleIsExactlyWhatTheSeededGeneratorMakes() throws IOException {
    for (String f : CallLogGenerator.FILES) {
      assertEquals(
          Files.readString(COMMITTED.resolve(f)),
          Files.readString(dir.resolve(f)),
          f
              + " differs: run ./finetune generate-example --example call-logs and commit the result");
    }
  }

  @Test
  void generatingAgainWritesTheSameBytes(@TempDir Path again) throws IOException {
    CallLogGenerator.generate(again);
    for (String f : CallLogGenerator.FILES) {
      assertEquals(Files.readString(dir.resolve(f)), Files.readString(again.resolve(f)), f);
    }
  }

  @Test
  void trainingAndTheStableBatchAreDated2023AndTheProductionBatch2024() throws IOException {
    assertYears("train.jsonl", CallLogGenerator.TRAIN_ROWS, 2023);
    assertYears("corner-cases.jsonl", CallLogGenerator.CORNER_ROWS, 2023);
    assertYears("stable-2023.jsonl", CallLogGenerator.STABLE_ROWS, 2023);
    assertYears("production-2024.jsonl", CallLogGenerator.PRODUCTION_ROWS, 2024);
  }

  /**
   * Every row labeled, dated a working day of {@code year}; its note names the year only in the day
   * it was logged, up to a week before the call-back day.
   */
  private static void assertYears(String file, int rows, int year) throws IOException {
    List<JsonNode> all = rows(file);
    assertEquals(rows, all.size(), file);
    for (JsonNode r : all) {
      LocalDate d = LocalDate.parse(r.path("output").path("callback_date").asText());
      assertEquals(year, d.getYear(), file + ": " + r);
      assertFalse(d.getDayOfWeek() == DayOfWeek.SATURDAY || d.getDayOfWeek() == DayOfWeek.SUNDAY);
      String note = r.path("input").asText();
      java.util.regex.Matcher logged =
          java.util.regex.Pattern.compile("^\\[(\\d{4}-\\d{2}-\\d{2})\\] ").matcher(note);
      assertTrue(logged.find(), file + ": no log date: " + note);
      LocalDate day = LocalDate.parse(logged.group(1));
      assertEquals(year, day.getYear(), note);
      assertTrue(!day.isAfter(d) && day.plusDays(7).compareTo(d) >= 0, note);
      String rest = note.substring(logged.end());
      assertFalse(rest.matches("(?s).*\\b20\\d\\d\\b.*"), file + ": a year in the note: " + note);
      assertTrue(CallLogGenerator.REASONS.contains(r.path("output").path("reason").asText()));
    }
  }

  @Test
  void callersAreCopiedFromTheNotesWithTheirApostrophesAndHyphens() throws IOException {
    List<JsonNode> train = rows("train.jsonl");
    Set<String> callers = new HashSet<>();
    for (JsonNode r : train) {
      String caller = r.path("output").path("caller").asText();
      callers.add(caller);
      assertTrue(r.path("input").asText().contains(caller), r.toString());
    }
    assertTrue(callers.stream().filter(c -> c.contains("'")).count() >= 20, "O'Brien and co.");
    assertTrue(callers.stream().filter(c -> c.contains("-")).count() >= 20, "double-barrelled");
    // Names in the production batch that training never had: the model has to copy, not recall.
    Set<String> unseen = new HashSet<>();
    for (JsonNode r : rows("production-2024.jsonl")) {
      String caller = r.path("output").path("caller").asText();
      if (!callers.contains(caller)) {
        unseen.add(caller);
      }
    }
    assertTrue(unseen.size() > 100, unseen.size() + " unseen callers");
  }

  /**
   * The 2024 batch differs from training only in its years: today's statistics (new vocabulary, the
   * reason's label distance) stay under the spec's thresholds on it as on the stable batch, so only
   * the date field's statistic catches the drift.
   */
  @Test
  void apartFromTheYearTheBatchesLookLikeTraining() throws IOException {
    List<JsonNode> train = rows("train.jsonl");
    for (String batch : List.of("production-2024.jsonl", "stable-2023.jsonl")) {
      List<JsonNode> rows = rows(batch);
      double newWords = newVocabularyRate(train, rows);
      assertTrue(newWords < 0.05, batch + ": new-vocabulary rate " + newWords);
      double distance = jensenShannonDistance(reasons(train), reasons(rows));
      assertTrue(distance < 0.05, batch + ": reason label distance " + distance);
    }
  }

  @Test
  void theJudgesAlignmentSetHasEnoughPairsAndTheRightAnswerWins() throws IOException {
    List<JsonNode> pairs = rows("judge-alignment.jsonl");
    assertTrue(pairs.size() >= 30, "a judge gates only with 30 pairs or more");
    for (JsonNode p : pairs) {
      String reference = JSON.writeValueAsString(p.get("reference"));
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

  @Test
  void theDataStaysSmall() throws IOException {
    long bytes = 0;
    for (String f : CallLogGenerator.FILES) {
      bytes += Files.size(dir.resolve(f));
    }
    assertTrue(bytes < 500_000, bytes + " bytes");
  }

  private static List<JsonNode> rows(String file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve(file))) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  private static double newVocabularyRate(List<JsonNode> train, List<JsonNode> batch) {
    Set<String> vocabulary = new HashSet<>();
    train.forEach(r -> vocabulary.addAll(Rows.words(r.path("input").asText())));
    int words = 0;
    int unseen = 0;
    for (JsonNode r : batch) {
      for (String w : Rows.words(r.path("input").asText())) {
        words++;
        unseen += vocabulary.contains(w) ? 0 : 1;
      }
    }
    return unseen / (double) words;
  }

  private static Map<String, Double> reasons(List<JsonNode> rows) {
    Map<String, Double> d = new HashMap<>();
    rows.forEach(
        r -> d.merge(r.path("output").path("reason").asText(), 1.0 / rows.size(), Double::sum));
    return d;
  }

  /** As the drift check measures it: the square root of the base-2 Jensen-Shannon divergence. */
  private static double jensenShannonDistance(Map<String, Double> p, Map<String, Double> q) {
    Set<String> keys = new HashSet<>(p.keySet());
    keys.addAll(q.keySet());
    double js = 0;
    for (String k : keys) {
      double a = p.getOrDefault(k, 0.0);
      double b = q.getOrDefault(k, 0.0);
      double m = (a + b) / 2;
      js += (a > 0 ? a * Math.log(a / m) : 0) / 2 + (b > 0 ? b * Math.log(b / m) : 0) / 2;
    }
    return Math.sqrt(Math.max(0, js / Math.log(2)));
  }
}
