package io.finetune.activities.eval;

import io.finetune.workflows.common.Scores;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Scores free-text answers against expected texts:
 *
 * <ul>
 *   <li>{@link Scores#TEXT_EXACT_MATCH}: the share of rows whose answer equals the expected text
 *       after {@link #normalize normalization} (case, punctuation and whitespace ignored).
 *   <li>{@link Scores#CHRF}: corpus-level chrF (Popović 2015) with sacreBLEU's defaults: character
 *       n-grams of order 1 to 6, no word n-grams, whitespace removed, case kept, beta 2 (recall
 *       weighs twice as much as precision). Reported on a 0 to 1 scale, not sacreBLEU's 0 to 100.
 * </ul>
 *
 * <p>chrF is corpus-level, as sacreBLEU's {@code corpus_score}: the n-gram counts of all rows are
 * summed first and the score computed once, so long texts weigh more than short ones, and it is not
 * the mean of per-row scores.
 */
public final class TextScorer {
  static final int CHAR_ORDER = 6;
  static final double BETA = 2.0;

  private static final Pattern PUNCTUATION = Pattern.compile("\\p{P}+");
  private static final Pattern WHITESPACE =
      Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

  private TextScorer() {}

  /**
   * Scores answers row by row against the expected texts; a null answer (the model gave none) is
   * scored as empty text.
   *
   * @return {@link Scores#TEXT_EXACT_MATCH} and {@link Scores#CHRF}, each 0 when there are no rows
   */
  public static Map<String, Double> score(List<String> expected, List<String> answers) {
    if (expected.size() != answers.size()) {
      throw new IllegalArgumentException(
          expected.size() + " expected texts but " + answers.size() + " answers");
    }
    Corpus corpus = new Corpus();
    for (int i = 0; i < expected.size(); i++) {
      corpus.add(expected.get(i), answers.get(i));
    }
    return corpus.metrics();
  }

  /**
   * The same scores, rows added one at a time: only counts are kept (the exact matches and the
   * n-gram statistics summed over rows), so a corpus of any size takes the same memory.
   */
  public static final class Corpus {
    private int rows;
    private int exact;
    // hypothesis n-grams, reference n-grams and matches for each order, summed over all rows
    private final long[] stats = new long[3 * CHAR_ORDER];

    /** Adds a row; null texts are scored as empty. */
    public void add(String expected, String answer) {
      String want = expected == null ? "" : expected;
      String got = answer == null ? "" : answer;
      rows++;
      if (normalize(want).equals(normalize(got))) {
        exact++;
      }
      addChrfStatistics(got, want, stats);
    }

    public int rows() {
      return rows;
    }

    /** {@link Scores#TEXT_EXACT_MATCH} and {@link Scores#CHRF}, each 0 when there are no rows. */
    public Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put(Scores.TEXT_EXACT_MATCH, rows == 0 ? 0.0 : (double) exact / rows);
      m.put(Scores.CHRF, chrf(stats));
      return m;
    }
  }

  /**
   * What "the same text" means for {@link Scores#TEXT_EXACT_MATCH}: Unicode NFKC (full-width and
   * compatibility forms folded), lower case, punctuation ({@code \p{P}}) deleted rather than turned
   * into a space (so "don't" equals "dont"), runs of whitespace made one space, ends trimmed. As
   * SQuAD's answer normalization, except that articles are kept: answers need not be English.
   */
  static String normalize(String text) {
    String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    s = PUNCTUATION.matcher(s).replaceAll("");
    return WHITESPACE.matcher(s).replaceAll(" ").trim();
  }

  /** Adds one row's character n-gram counts, sacreBLEU's way: whitespace removed first. */
  private static void addChrfStatistics(String hypothesis, String reference, long[] stats) {
    int[] hyp = WHITESPACE.matcher(hypothesis).replaceAll("").codePoints().toArray();
    int[] ref = WHITESPACE.matcher(reference).replaceAll("").codePoints().toArray();
    for (int n = 1; n <= CHAR_ORDER; n++) {
      Map<String, Integer> hypGrams = ngrams(hyp, n);
      Map<String, Integer> refGrams = ngrams(ref, n);
      long matches = 0;
      // an n-gram matches as many times as it occurs in both (clipped counts)
      for (Map.Entry<String, Integer> e : hypGrams.entrySet()) {
        matches += Math.min(e.getValue(), refGrams.getOrDefault(e.getKey(), 0));
      }
      int i = 3 * (n - 1);
      stats[i] += Math.max(0, hyp.length - n + 1);
      stats[i + 1] += Math.max(0, ref.length - n + 1);
      stats[i + 2] += matches;
    }
  }

  private static Map<String, Integer> ngrams(int[] codePoints, int n) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i + n <= codePoints.length; i++) {
      counts.merge(new String(codePoints, i, n), 1, Integer::sum);
    }
    return counts;
  }

  /**
   * Precision and recall are each averaged over the orders that both sides have n-grams of (a
   * shorter text has no 6-grams), then combined as F-beta. Nothing to compare scores 0.
   */
  static double chrf(long[] stats) {
    double precision = 0;
    double recall = 0;
    int orders = 0;
    for (int i = 0; i < CHAR_ORDER; i++) {
      long hyp = stats[3 * i];
      long ref = stats[3 * i + 1];
      long matches = stats[3 * i + 2];
      if (hyp > 0 && ref > 0) {
        precision += (double) matches / hyp;
        recall += (double) matches / ref;
        orders++;
      }
    }
    if (orders == 0 || precision + recall == 0) {
      return 0.0;
    }
    precision /= orders;
    recall /= orders;
    double b2 = BETA * BETA;
    return (1 + b2) * precision * recall / (b2 * precision + recall);
  }
}
