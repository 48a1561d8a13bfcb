package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextScorerTest {
  private static final double EPS = 1e-9;

  private static Map<String, Double> score(List<String> expected, List<String> answers) {
    return TextScorer.score(expected, answers);
  }

  @Test
  void identicalTextsScoreOne() {
    Map<String, Double> m =
        score(List.of("The cat sat.", "Refund issued"), List.of("The cat sat.", "Refund issued"));

    assertEquals(1.0, m.get("text_exact_match"), EPS);
    assertEquals(1.0, m.get("chrf"), EPS);
  }

  @Test
  void textsWithNoCharacterInCommonScoreZero() {
    Map<String, Double> m = score(List.of("abc"), List.of("xyz"));

    assertEquals(0.0, m.get("text_exact_match"), EPS);
    assertEquals(0.0, m.get("chrf"), EPS);
  }

  /**
   * Answer "ab", expected "abc". Unigrams: answer a b, expected a b c, 2 match: P 1, R 2/3.
   * Bigrams: answer ab, expected ab bc, 1 matches: P 1, R 1/2. The answer has no 3-grams, so only
   * orders 1 and 2 count: P = 1, R = (2/3 + 1/2) / 2 = 7/12. F2 = 5PR / (4P + R) = (35/12) /
   * (55/12) = 7/11 (sacreBLEU's CHRF().corpus_score(["ab"], [["abc"]]) says 63.64).
   */
  @Test
  void chrfOfAShortExampleByHand() {
    assertEquals(7.0 / 11, score(List.of("abc"), List.of("ab")).get("chrf"), EPS);
  }

  /**
   * Corpus-level: counts are summed before dividing. Rows ("ab" vs "abc") and ("xyz" vs "xyz"):
   * unigrams hyp 5, ref 6, match 5; bigrams hyp 3, ref 4, match 3; trigrams hyp 1, ref 2, match 1.
   * P = 1; R = (5/6 + 3/4 + 1/2) / 3 = 25/36. F2 = 5R / (4 + R) = (125/36) / (169/36) = 125/169,
   * while the mean of the rows' scores would be (7/11 + 1) / 2.
   */
  @Test
  void chrfSumsCountsOverRowsBeforeDividing() {
    Map<String, Double> m = score(List.of("abc", "xyz"), List.of("ab", "xyz"));

    assertEquals(125.0 / 169, m.get("chrf"), EPS);
    assertEquals(0.5, m.get("text_exact_match"), EPS);
  }

  @Test
  void chrfIgnoresWhitespaceButNotCase() {
    assertEquals(1.0, score(List.of("a b c"), List.of("abc")).get("chrf"), EPS);
    assertEquals(0.0, score(List.of("ABC"), List.of("abc")).get("chrf"), EPS);
  }

  @Test
  void exactMatchIgnoresCasePunctuationAndWhitespace() {
    Map<String, Double> m =
        score(
            List.of("Don't panic!", "  New   York ", "42 apples", "yes"),
            List.of("dont PANIC", "new york.", "42  apples", "no"));

    assertEquals(0.75, m.get("text_exact_match"), EPS);
    assertEquals("dont panic", TextScorer.normalize(" Don't,\tpanic! "));
  }

  @Test
  void aMissingAnswerIsEmptyText() {
    Map<String, Double> m = score(List.of("abc", "abc"), Arrays.asList("abc", null));

    assertEquals(0.5, m.get("text_exact_match"), EPS);
    // Counts: hyp 3+0, ref 6 at order 1 (R 1/2); the same halves at orders 2 and 3. P = 1.
    // F2 = 5 * 1/2 / (4 + 1/2) = 5/9.
    assertEquals(5.0 / 9, m.get("chrf"), EPS);
  }

  @Test
  void noRowsScoreZero() {
    assertEquals(Map.of("text_exact_match", 0.0, "chrf", 0.0), score(List.of(), List.of()));
  }

  @Test
  void listsOfDifferentLengthsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> score(List.of("a"), List.of()));
  }
}
