package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Text tasks with free answers: the nearest training answer, fitted to the new input. */
class NearestAnswerTest {
  private static final List<FineTunedModel.Example> TRAIN =
      CustomerMessages.generate(200, false, 1);
  private static final List<FineTunedModel.Example> HELD_OUT =
      CustomerMessages.generate(100, true, 2);

  private static double exactMatch(Function<String, String> model) {
    return HELD_OUT.stream().filter(e -> model.apply(e.input()).equals(e.answer())).count()
        / (double) HELD_OUT.size();
  }

  /** The Dice overlap of character bigrams: partial credit for a nearly right reply. */
  private static double overlap(Function<String, String> model) {
    double sum = 0;
    for (var e : HELD_OUT) {
      Set<String> a = bigrams(model.apply(e.input()));
      Set<String> b = bigrams(e.answer());
      Set<String> both = new HashSet<>(a);
      both.retainAll(b);
      sum += 2.0 * both.size() / (a.size() + b.size());
    }
    return sum / HELD_OUT.size();
  }

  private static Set<String> bigrams(String s) {
    Set<String> out = new HashSet<>();
    for (int i = 0; i + 2 <= s.length(); i++) {
      out.add(s.substring(i, i + 2));
    }
    return out;
  }

  @Test
  void retrievalWithSlotFillingBeatsEchoingTheFirstSentence() {
    for (ModelCapacity c : ModelCapacity.values()) {
      FineTunedModel tuned =
          FineTunedModel.train(
              "replies", c, TRAIN, List.of(), TrainingOptions.defaults(c.defaultEpochs), 42, null);
      assertEquals("nearest", tuned.fields.get(FineTunedModel.WHOLE_ANSWER).kind());

      Function<String, String> echo = x -> PromptFollower.answer("Reply to the customer.", x);
      double tunedExact = exactMatch(tuned::answer);
      assertEquals(0.0, exactMatch(echo));
      assertTrue(tunedExact >= 0.9, c + " exact match " + tunedExact);
      assertTrue(overlap(tuned::answer) > overlap(echo) + 0.3, c.toString());
    }
  }

  @Test
  void slotsTakeTheNewInputsNamesAndNumbers() {
    Tokenized input = Tokenized.of("Hi, this is Priya Shah. Order 4471 arrived broken.");
    Tokenized answer = Tokenized.of("Hi Priya Shah, I'm sorry order 4471 arrived damaged.");
    List<SlotFiller.Slot> slots = SlotFiller.slots(input, answer);

    assertEquals(3, slots.size(), slots.toString()); // Priya, Shah, 4471; not "Hi"
    assertEquals(
        "Hi {} {}, I'm sorry order {} arrived damaged.", SlotFiller.template(answer, slots));
    assertEquals(
        "Hi Anne-Marie O'Neil, I'm sorry order 5521 arrived damaged.",
        SlotFiller.fill(
            input,
            answer,
            slots,
            Tokenized.of("Hello, this is Anne-Marie O'Neil. Order 5521 came broken!")));
    // Aligned by the words around them, not by where they stand.
    assertEquals(
        "Hi Sam Lee, I'm sorry order 602 arrived damaged.",
        SlotFiller.fill(
            input,
            answer,
            slots,
            Tokenized.of("Order 602 arrived broken. Thanks, this is Sam Lee.")));
  }

  @Test
  void answersThatRepeatStayWithTheClassifierAndOthersRetrieve() {
    List<String> inputs = TRAIN.stream().map(FineTunedModel.Example::input).toList();
    List<String> replies = TRAIN.stream().map(FineTunedModel.Example::answer).toList();
    // The last sentence of each reply: one canned answer per kind of request.
    List<String> canned = replies.stream().map(r -> r.substring(r.lastIndexOf(". ") + 2)).toList();

    assertEquals(FieldKind.TEXT, FieldKind.of(inputs, replies));
    assertEquals(FieldKind.CATEGORY, FieldKind.of(inputs, canned));
  }
}
