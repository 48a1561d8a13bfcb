package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tuned models learn extraction: callers copied from call logs, callback dates normalized with the
 * year of the training data (the talk's 2023 failure, fixed by training again with 2024 rows).
 */
class ExtractionLearningTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<FineTunedModel.Example> TRAIN_2023 =
      CallLogs.generate(200, 2023, false, 1);
  private static final List<FineTunedModel.Example> HELD_OUT_2023 =
      CallLogs.generate(200, 2023, true, 2);
  private static final List<FineTunedModel.Example> BATCH_2024 =
      CallLogs.generate(200, 2024, true, 3);

  private static FineTunedModel train(ModelCapacity c, List<FineTunedModel.Example> examples) {
    return FineTunedModel.train(
        "m", c, examples, List.of(), TrainingOptions.defaults(c.defaultEpochs), 42, null);
  }

  /** The share of {@code examples} whose {@code field} (null: whole answer) is exactly right. */
  private static double fieldMatch(
      FineTunedModel model, List<FineTunedModel.Example> examples, String field)
      throws IOException {
    int right = 0;
    for (var e : examples) {
      JsonNode answer = JSON.readTree(model.answer(e.input()));
      JsonNode expected = JSON.readTree(e.answer());
      if (field != null) {
        answer = answer.get(field);
        expected = expected.get(field);
      }
      right += answer.equals(expected) ? 1 : 0;
    }
    return right / (double) examples.size();
  }

  /** The share of whole answers exactly right. */
  private static double exactMatch(FineTunedModel model, List<FineTunedModel.Example> examples)
      throws IOException {
    return fieldMatch(model, examples, null);
  }

  private static List<String> kinds(FineTunedModel model) {
    return model.fields.values().stream().map(FieldModel::kind).toList();
  }

  @Test
  void eachFieldGetsTheLearnerItsValuesCallFor() {
    FineTunedModel model = train(ModelCapacity.SMALL, TRAIN_2023);
    assertEquals(List.of("caller", "callback_date", "reason"), List.copyOf(model.fields.keySet()));
    assertEquals(List.of("span", "date", "classifier"), kinds(model));
  }

  @Test
  void callersAndDatesOfUnseenCallersAreRightAtEverySize() throws IOException {
    for (ModelCapacity c : ModelCapacity.values()) {
      FineTunedModel model = train(c, TRAIN_2023);
      double caller = fieldMatch(model, HELD_OUT_2023, "caller");
      double date = fieldMatch(model, HELD_OUT_2023, "callback_date");
      assertTrue(caller >= 0.9, c + " caller " + caller);
      assertTrue(date >= 0.9, c + " callback_date " + date);
    }
    double whole = exactMatch(train(ModelCapacity.MEDIUM, TRAIN_2023), HELD_OUT_2023);
    assertTrue(whole >= 0.9, "medium, whole answers " + whole);
  }

  @Test
  void trainedOn2023ItWrites2023For2024CallsUntilTrainedAgainWith2024Rows() throws IOException {
    FineTunedModel tuned = train(ModelCapacity.MEDIUM, TRAIN_2023);
    for (var e : BATCH_2024) {
      String date = JSON.readTree(tuned.answer(e.input())).get("callback_date").asText();
      assertTrue(date.startsWith("2023-"), e.input() + " -> " + date);
    }
    assertTrue(fieldMatch(tuned, BATCH_2024, "caller") >= 0.9, "callers are still found");
    assertEquals(0.0, fieldMatch(tuned, BATCH_2024, "callback_date"));

    List<FineTunedModel.Example> both = new ArrayList<>(TRAIN_2023);
    both.addAll(CallLogs.generate(100, 2024, false, 4));
    FineTunedModel retrained = train(ModelCapacity.MEDIUM, both);
    double date = fieldMatch(retrained, BATCH_2024, "callback_date");
    double whole = exactMatch(retrained, BATCH_2024);
    assertTrue(date >= 0.9, "2024 dates after retraining " + date);
    assertTrue(whole >= 0.9, "whole answers after retraining " + whole);
  }

  @Test
  void namesWithApostrophesAndHyphensAreCopiedWhole() throws IOException {
    FineTunedModel tuned = train(ModelCapacity.SMALL, TRAIN_2023);
    JsonNode marcus =
        JSON.readTree(
            tuned.answer(
                "Marcus O'Neil called. Wants a callback Tue 3/5 re: an invoice question."));
    assertEquals("Marcus O'Neil", marcus.get("caller").asText());
    assertEquals("2023-03-05", marcus.get("callback_date").asText());
    JsonNode jeanLuc =
        JSON.readTree(
            tuned.answer(
                "Voicemail from Jean-Luc D'Souza: please call me back on March 21 about my"
                    + " refund."));
    assertEquals("Jean-Luc D'Souza", jeanLuc.get("caller").asText());
    assertEquals("2023-03-21", jeanLuc.get("callback_date").asText());
    JsonNode withCompany =
        JSON.readTree(
            tuned.answer(
                "Northwind Traders - Zara Smith-Jones called, please return the call the 2nd of"
                    + " June about my package."));
    assertEquals("Zara Smith-Jones", withCompany.get("caller").asText());
    assertEquals("2023-06-02", withCompany.get("callback_date").asText());
  }

  @Test
  void numbersCopiedFromTheInputAreSpansAndStayNumbers() throws IOException {
    String[] names = {"Priya", "Sam", "Olu", "Grace", "Hamid", "Lena", "Mei", "Rafael"};
    List<FineTunedModel.Example> orders = new ArrayList<>();
    java.util.Random r = new java.util.Random(5);
    for (int i = 0; i < 60; i++) {
      int order = 1000 + r.nextInt(9000);
      String name = names[r.nextInt(names.length)];
      String text =
          i % 2 == 0
              ? "Hi, this is " + name + ". Order " + order + " arrived broken."
              : name + " here, where is my order " + order + "? It is 3 days late.";
      orders.add(
          new FineTunedModel.Example(
              text, JSON.createObjectNode().put("order", order).put("name", name).toString()));
    }
    FineTunedModel tuned = train(ModelCapacity.SMALL, orders);

    assertEquals(List.of("span", "span"), kinds(tuned));
    assertEquals(
        "{\"order\":5521,\"name\":\"Sven\"}",
        tuned.answer("Sven here, where is my order 5521? It is 2 days late."));
  }

  private static byte[] bytes(FineTunedModel model) throws IOException {
    var out = new ByteArrayOutputStream();
    model.copy("m").write(out);
    return out.toByteArray();
  }

  @Test
  void epochScoresAndSnapshotsWorkWithMixedFields() throws IOException {
    ModelCapacity c = ModelCapacity.SMALL;
    List<FineTunedModel.EpochScores> scores = new ArrayList<>();
    List<FineTunedModel> snapshots = new ArrayList<>();
    FineTunedModel watched =
        FineTunedModel.train(
            "m",
            c,
            TRAIN_2023,
            HELD_OUT_2023,
            TrainingOptions.defaults(c.defaultEpochs),
            42,
            (s, snapshot) -> {
              scores.add(s);
              snapshots.add(snapshot.apply("m-" + s.epoch()));
            });

    // Same data and seed, same model; watching and validating change nothing.
    assertArrayEquals(bytes(train(c, TRAIN_2023)), bytes(watched));
    assertArrayEquals(bytes(watched), bytes(snapshots.get(c.defaultEpochs - 1)));
    assertFalse(Arrays.equals(bytes(watched), bytes(snapshots.get(0))), "the span model learns");
    FineTunedModel.EpochScores first = scores.get(0);
    FineTunedModel.EpochScores last = scores.get(c.defaultEpochs - 1);
    assertEquals(exactMatch(watched, HELD_OUT_2023), last.validAccuracy(), 1e-12);
    assertTrue(last.trainLoss() < first.trainLoss(), scores.toString());
    assertTrue(last.validLoss() < first.validLoss(), scores.toString());
    assertTrue(last.trainAccuracy() > first.trainAccuracy(), scores.toString());
  }
}
