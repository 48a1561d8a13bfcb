package io.finetune.provider.local;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fits an answer written for one input to another: "Hi Priya, order 4471 ..." answered "Hi, this is
 * Priya. Order 4471 arrived broken" becomes "Hi Sam, order 5521 ..." for "Hello, this is Sam. Order
 * 5521 came broken".
 *
 * <p>A slot is a word of the answer that the input holds as a value: a word with a digit, or a
 * capitalized word that does not start a sentence (a name), "I" and its contractions aside. Each
 * slot's input word is aligned with a value-like word of the new input of the same kind (digits or
 * not) by its context: the same word before it (2 points, 1 more for the word before that), the
 * same word after it (likewise), following the word the previous slot was aligned with (2; names of
 * several words), and the same rank among the input's value-like words of its kind (1). The best
 * scoring word wins, a word is used once, and a slot that nothing aligns with stays as the answer
 * wrote it.
 */
final class SlotFiller {
  private static final Set<String> NOT_NAMES = Set.of("i", "i'm", "i've", "i'd", "i'll");

  private SlotFiller() {}

  /** Answer token {@code answerToken} copies input token {@code inputToken}. */
  record Slot(int answerToken, int inputToken) {}

  static List<Slot> slots(Tokenized input, Tokenized answer) {
    List<Slot> slots = new ArrayList<>();
    for (int a = 0; a < answer.size(); a++) {
      if (!answer.get(a).word()) {
        continue;
      }
      for (int p = 0; p < input.size(); p++) {
        if (copies(input.get(p), answer.get(a))) {
          slots.add(new Slot(a, p));
          break;
        }
      }
    }
    return slots;
  }

  /** The answer with its slots blanked: answers that differ only in their values read the same. */
  static String template(Tokenized answer, List<Slot> slots) {
    return rewrite(answer, slots, slot -> "{}");
  }

  /** The answer with each slot holding the aligned value of {@code query}. */
  static String fill(Tokenized input, Tokenized answer, List<Slot> slots, Tokenized query) {
    Map<Integer, Integer> aligned = new HashMap<>(); // input token -> query token
    Set<Integer> used = new HashSet<>();
    slots.stream()
        .map(Slot::inputToken)
        .distinct()
        .sorted()
        .forEach(
            p -> {
              int q = align(input, p, query, aligned, used);
              if (q >= 0) {
                aligned.put(p, q);
                used.add(q);
              }
            });
    return rewrite(
        answer,
        slots,
        slot -> {
          Integer q = aligned.get(slot.inputToken());
          return q == null ? answer.get(slot.answerToken()).text() : query.get(q).text();
        });
  }

  private static int align(
      Tokenized input, int p, Tokenized query, Map<Integer, Integer> aligned, Set<Integer> used) {
    int best = -1;
    int bestScore = 0;
    for (int q = 0; q < query.size(); q++) {
      if (used.contains(q)
          || !valueLike(query.get(q))
          || query.get(q).hasDigit() != input.get(p).hasDigit()) {
        continue;
      }
      int score = 0;
      if (input.lowerAt(p - 1).equals(query.lowerAt(q - 1))) {
        score += input.lowerAt(p - 2).equals(query.lowerAt(q - 2)) ? 3 : 2;
      }
      if (input.lowerAt(p + 1).equals(query.lowerAt(q + 1))) {
        score += input.lowerAt(p + 2).equals(query.lowerAt(q + 2)) ? 3 : 2;
      }
      if (aligned.containsKey(p - 1) && aligned.get(p - 1) == q - 1) {
        score += 2;
      }
      if (score >= 2 && rank(input, p) == rank(query, q)) {
        score += 1;
      }
      if (score >= 2 && score > bestScore) {
        best = q;
        bestScore = score;
      }
    }
    return best;
  }

  /** How many value-like words of the same kind come before token {@code i}. */
  private static int rank(Tokenized t, int i) {
    int rank = 0;
    for (int j = 0; j < i; j++) {
      rank += valueLike(t.get(j)) && t.get(j).hasDigit() == t.get(i).hasDigit() ? 1 : 0;
    }
    return rank;
  }

  /** A word that may be a value: one with a digit, or a capitalized one. */
  private static boolean valueLike(Tokenized.Token tok) {
    return tok.word()
        && (tok.hasDigit() || (tok.capitalized() && !NOT_NAMES.contains(tok.lower())));
  }

  /** Whether answer word {@code a} copies input word {@code p} as a value. */
  private static boolean copies(Tokenized.Token p, Tokenized.Token a) {
    if (!valueLike(p)) {
      return false;
    }
    return p.hasDigit()
        ? p.text().equalsIgnoreCase(a.text())
        : p.text().equals(a.text()) && !(p.sentenceStart() && a.sentenceStart());
  }

  private static String rewrite(
      Tokenized answer, List<Slot> slots, java.util.function.Function<Slot, String> value) {
    StringBuilder sb = new StringBuilder();
    int at = 0;
    for (Slot slot : slots) {
      Tokenized.Token tok = answer.get(slot.answerToken());
      sb.append(answer.text, at, tok.start()).append(value.apply(slot));
      at = tok.end();
    }
    return sb.append(answer.text.substring(at)).toString();
  }
}
