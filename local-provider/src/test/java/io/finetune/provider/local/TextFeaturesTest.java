package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextFeaturesTest {

  @Test
  void currencySignsAreFeatures_soAModelCanTellDollarsFromEuros() {
    String[][] signs = {{"$", "USD"}, {"€", "EUR"}, {"£", "GBP"}, {"¥", "JPY"}};
    Random random = new Random(3);
    List<FineTunedModel.Example> examples = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      String[] s = signs[random.nextInt(signs.length)];
      examples.add(
          new FineTunedModel.Example(
              "Invoice " + (1000 + i) + " over " + s[0] + (10 + random.nextInt(900)) + " is due.",
              "{\"currency\":\"" + s[1] + "\"}"));
    }
    FineTunedModel model =
        FineTunedModel.train(
            "m",
            ModelCapacity.MEDIUM,
            examples,
            List.of(),
            TrainingOptions.defaults(ModelCapacity.MEDIUM.defaultEpochs),
            42,
            null);

    for (String[] s : signs) {
      assertEquals(
          "{\"currency\":\"" + s[1] + "\"}", model.answer("Bill 77 for " + s[0] + "120, thanks."));
    }
  }
}
