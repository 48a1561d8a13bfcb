package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The local models really learn, on the bundled example: capacity and training both matter. */
class LearningTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path EXAMPLE = Path.of("../examples/ticket-triage");
  private static final List<FineTunedModel.Example> train = new ArrayList<>();
  private static final List<FineTunedModel.Example> test = new ArrayList<>();
  private static String prompt;

  @BeforeAll
  static void load() throws IOException {
    List<String> lines = Files.readAllLines(EXAMPLE.resolve("train.jsonl"));
    for (int i = 0; i < lines.size(); i++) {
      JsonNode n = JSON.readTree(lines.get(i));
      var e = new FineTunedModel.Example(n.get("input").asText(), n.get("output").toString());
      (i % 10 == 0 ? test : train).add(e);
    }
    String spec = Files.readString(EXAMPLE.resolve("spec.yaml"));
    prompt =
        spec.substring(spec.indexOf("prompt: |") + 10, spec.indexOf("target:"))
            .replaceAll("(?m)^  ", "");
  }

  private static double exactMatch(Function<String, String> model) throws IOException {
    int ok = 0;
    for (var e : test) {
      if (JSON.readTree(model.apply(e.input())).equals(JSON.readTree(e.answer()))) {
        ok++;
      }
    }
    return ok / (double) test.size();
  }

  private static FineTunedModel train(ModelCapacity c) {
    return FineTunedModel.train(
        "m", c, train, List.of(), TrainingOptions.defaults(c.defaultEpochs), 42, null);
  }

  @Test
  void largerSizesDoNotScoreWorseAndAllBeatThePromptBaseline() throws IOException {
    double baseline = exactMatch(x -> PromptFollower.answer(prompt, x));
    double small = exactMatch(train(ModelCapacity.SMALL)::answer);
    double medium = exactMatch(train(ModelCapacity.MEDIUM)::answer);
    double large = exactMatch(train(ModelCapacity.LARGE)::answer);

    assertTrue(baseline > 0.3 && baseline < 0.7, "the baseline is real but imperfect: " + baseline);
    assertTrue(small > baseline, "small " + small + " vs baseline " + baseline);
    assertTrue(medium >= small, "medium " + medium + " vs small " + small);
    assertTrue(large >= medium, "large " + large + " vs medium " + medium);
    assertTrue(medium > 0.9, "medium " + medium);
  }

  @Test
  void trainingChangesPredictions() {
    FineTunedModel tuned = train(ModelCapacity.MEDIUM);
    long changed =
        test.stream()
            .filter(e -> !tuned.answer(e.input()).equals(PromptFollower.answer(prompt, e.input())))
            .count();
    assertTrue(changed > test.size() / 5, changed + " of " + test.size() + " answers changed");
  }

  @Test
  void sameDataAndSeedGiveTheSameModel() throws IOException {
    FineTunedModel a = train(ModelCapacity.SMALL);
    FineTunedModel b = train(ModelCapacity.SMALL);
    var bytesA = new java.io.ByteArrayOutputStream();
    var bytesB = new java.io.ByteArrayOutputStream();
    a.write(bytesA);
    b.write(bytesB);
    assertEquals(bytesA.size(), bytesB.size());
    assertTrue(java.util.Arrays.equals(bytesA.toByteArray(), bytesB.toByteArray()));
  }

  private static byte[] bytes(FineTunedModel model) throws IOException {
    var out = new java.io.ByteArrayOutputStream();
    model.copy("m").write(out); // the same id for all: only what was learned is compared
    return out.toByteArray();
  }

  @Test
  void watchingEpochsAndValidatingChangeNothingThatIsLearned() throws IOException {
    ModelCapacity c = ModelCapacity.MEDIUM;
    List<FineTunedModel.EpochScores> scores = new ArrayList<>();
    List<FineTunedModel> snapshots = new ArrayList<>();
    FineTunedModel watched =
        FineTunedModel.train(
            "m",
            c,
            train,
            test,
            new TrainingOptions(c.defaultEpochs, 1, 1.0),
            42,
            (s, snapshot) -> {
              scores.add(s);
              snapshots.add(snapshot.apply("m-" + s.epoch()));
            });

    assertArrayEquals(bytes(train(c)), bytes(watched));
    // Each snapshot is the model as it stood after its epoch: the last one is the final model.
    assertArrayEquals(bytes(watched), bytes(snapshots.get(c.defaultEpochs - 1)));
    assertFalse(Arrays.equals(bytes(watched), bytes(snapshots.get(0))));
    FineTunedModel.EpochScores last = scores.get(c.defaultEpochs - 1);
    assertEquals(c.defaultEpochs * train.size(), last.step());
    assertEquals(last.step(), last.totalSteps());
    // Validation accuracy is the share of whole answers exactly right.
    assertEquals(exactMatch(watched::answer), last.validAccuracy(), 1e-12);
  }

  @Test
  void theLearningRateMultiplierAndBatchSizeChangeWhatIsLearned() throws IOException {
    ModelCapacity c = ModelCapacity.SMALL;
    byte[] plain = bytes(train(c));
    for (TrainingOptions other :
        List.of(
            new TrainingOptions(c.defaultEpochs, 1, 0.5),
            new TrainingOptions(c.defaultEpochs, 4, 1.0))) {
      byte[] learned = bytes(FineTunedModel.train("m", c, train, List.of(), other, 42, null));
      assertFalse(Arrays.equals(plain, learned), other.toString());
    }
  }

  @Test
  void theBaseModelFollowsThePromptAndNothingElse() {
    String answer = PromptFollower.answer(prompt, "I need a refund, please fix this soon");
    assertEquals("{\"category\":\"billing\",\"priority\":\"high\"}", answer);
    String noInstructions = PromptFollower.answer("Be helpful.", "I need a refund");
    assertTrue(!noInstructions.startsWith("{"), noInstructions);
  }

  @Test
  void onATextTaskTheBaseModelEchoesTheFirstSentenceAndATunedOneGivesTheLearnedAnswer() {
    assertEquals(
        "How do I reset my password?",
        PromptFollower.answer("Answer briefly.", "How do I reset my password? It expired."));
    assertEquals("one line", PromptFollower.answer(null, "one line\nsecond line"));

    List<FineTunedModel.Example> faq = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      faq.add(
          i % 2 == 0
              ? new FineTunedModel.Example(
                  "How do I reset my password? Account " + i, "Open Settings, then Security.")
              : new FineTunedModel.Example(
                  "Where is my refund? Order " + i, "Refunds take five days."));
    }
    ModelCapacity c = ModelCapacity.SMALL;
    FineTunedModel tuned =
        FineTunedModel.train(
            "faq", c, faq, List.of(), new TrainingOptions(c.defaultEpochs, 4, 1.0), 42, null);

    assertEquals("Refunds take five days.", tuned.answer("Where is my refund? Order 977"));
    assertEquals(
        "Open Settings, then Security.", tuned.answer("How do I reset my password? Account 5"));
  }
}
