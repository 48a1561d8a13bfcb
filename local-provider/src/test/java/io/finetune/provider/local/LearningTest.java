package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
    return FineTunedModel.train("m", c, train, c.defaultEpochs, 42, null);
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

  @Test
  void theBaseModelFollowsThePromptAndNothingElse() {
    String answer = PromptFollower.answer(prompt, "I need a refund, please fix this soon");
    assertEquals("{\"category\":\"billing\",\"priority\":\"high\"}", answer);
    String noInstructions = PromptFollower.answer("Be helpful.", "I need a refund");
    assertTrue(!noInstructions.startsWith("{"), noInstructions);
  }
}
