package io.finetune.provider.local;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The model {@code local-judge}: compares two answers to one input, as a pairwise judge would. Its
 * user message has sections, each a heading line followed by its text: {@code ### Input}, {@code
 * ### Reference} (optional), {@code ### Answer A}, {@code ### Answer B}. It prefers the answer
 * equal to the reference (after lowercasing and dropping punctuation), else the one sharing more
 * words with it (Jaccard; without a reference, with the input); equal is a tie. It replies {@code
 * A}, {@code B} or {@code tie}, then why.
 *
 * <p>With {@code positionBias} p, that share of judgments answers {@code A} whatever the answers
 * (drawn from the message's hash, so the same question gets the same answer): a judge biased to the
 * first position, whose verdicts flip when the order changes.
 */
final class LocalJudge {
  static final String MODEL = "local-judge";

  private final double positionBias;

  LocalJudge(double positionBias) {
    if (positionBias < 0 || positionBias > 1) {
      throw new IllegalArgumentException(
          "judge position bias must be between 0 and 1, was " + positionBias);
    }
    this.positionBias = positionBias;
  }

  String answer(String user) {
    if (positionBias > 0 && new SplittableRandom(user.hashCode()).nextDouble() < positionBias) {
      return "A: it comes first.";
    }
    String input = section(user, "### Input");
    String reference = section(user, "### Reference");
    String a = section(user, "### Answer A");
    String b = section(user, "### Answer B");
    if (a == null || b == null) {
      throw new ApiError(
          400,
          "invalid_value",
          MODEL + " needs '### Answer A' and '### Answer B' sections in the user message",
          "messages");
    }
    if (reference != null) {
      boolean aExact = normalize(a).equals(normalize(reference));
      boolean bExact = normalize(b).equals(normalize(reference));
      if (aExact != bExact) {
        return aExact ? "A: it matches the reference." : "B: it matches the reference.";
      }
    }
    String against = reference != null ? reference : input == null ? "" : input;
    double overlapA = overlap(a, against);
    double overlapB = overlap(b, against);
    String what = reference != null ? "the reference" : "the input";
    if (overlapA == overlapB) {
      return "tie: both are as close to " + what + ".";
    }
    return String.format(
        Locale.ROOT,
        "%s: it shares more words with %s (%.2f vs %.2f).",
        overlapA > overlapB ? "A" : "B",
        what,
        Math.max(overlapA, overlapB),
        Math.min(overlapA, overlapB));
  }

  /** The text under {@code heading}, up to the next heading; null when there is none. */
  static String section(String user, String heading) {
    String marker = heading + "\n";
    int start = user.startsWith(marker) ? 0 : user.indexOf("\n" + marker);
    if (start < 0) {
      return null;
    }
    int from = user.indexOf(marker, start) + marker.length();
    int end = user.indexOf("\n### ", from - 1);
    return (end < 0 ? user.substring(from) : user.substring(from, end)).strip();
  }

  private static String normalize(String text) {
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").trim();
  }

  private static double overlap(String x, String y) {
    Set<String> a = words(x);
    Set<String> b = words(y);
    if (a.isEmpty() && b.isEmpty()) {
      return 1;
    }
    Set<String> both = new HashSet<>(a);
    both.retainAll(b);
    Set<String> either = new HashSet<>(a);
    either.addAll(b);
    return (double) both.size() / either.size();
  }

  private static Set<String> words(String text) {
    Set<String> out = new HashSet<>();
    for (String w : normalize(text).split(" ", -1)) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }
}
