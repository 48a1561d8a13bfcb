package io.finetune.activities.drift;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * How well a classifier tells production values of a text field from training values: the
 * cross-validated ROC AUC of a naive Bayes model over words and character trigrams. 0.5 means the
 * two cannot be told apart (no drift, whatever the values are); near 1, production text is of
 * another kind. Used for text fields, where every batch has new values and a distribution distance
 * would always call drift.
 */
final class DomainClassifier {
  /** Fewer production values than this give an AUC too noisy to act on. */
  static final int MIN_VALUES = 20;

  private static final int FOLDS = 5;

  /** A sample this large tells AUC to within about 0.01; more only costs time. */
  private static final int MAX_PRODUCTION_VALUES = 2_000;

  /** Training values used per production value: enough contrast, bounded cost. */
  private static final int TRAINING_PER_PRODUCTION = 4;

  private DomainClassifier() {}

  /** The AUC, or null when there are fewer than {@link #MIN_VALUES} values on either side. */
  static Double auc(List<String> training, List<String> production, long seed) {
    if (production.size() < MIN_VALUES || training.size() < MIN_VALUES) {
      return null;
    }
    Random random = new Random(seed);
    List<String> recent = new ArrayList<>(production);
    Collections.shuffle(recent, random);
    recent = recent.subList(0, Math.min(recent.size(), MAX_PRODUCTION_VALUES));
    List<String> sample = new ArrayList<>(training);
    Collections.shuffle(sample, random);
    sample = sample.subList(0, Math.min(sample.size(), recent.size() * TRAINING_PER_PRODUCTION));
    List<Example> examples = new ArrayList<>();
    sample.forEach(v -> examples.add(new Example(features(v), false)));
    recent.forEach(v -> examples.add(new Example(features(v), true)));
    Collections.shuffle(examples, random);
    double[] scores = new double[examples.size()];
    for (int fold = 0; fold < FOLDS; fold++) {
      NaiveBayes model = new NaiveBayes();
      for (int i = 0; i < examples.size(); i++) {
        if (i % FOLDS != fold) {
          model.learn(examples.get(i));
        }
      }
      for (int i = fold; i < examples.size(); i += FOLDS) {
        scores[i] = model.productionLogOdds(examples.get(i).features());
      }
    }
    return rocAuc(examples, scores);
  }

  /** Words and the character trigrams of each word (with its edges), lowercased. */
  static List<String> features(String value) {
    List<String> out = new ArrayList<>();
    for (String word : value.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}']+", -1)) {
      if (word.isEmpty()) {
        continue;
      }
      out.add("w:" + word);
      String padded = "^" + word + "$";
      for (int i = 0; i + 3 <= padded.length(); i++) {
        out.add("c:" + padded.substring(i, i + 3));
      }
    }
    return out;
  }

  /**
   * The Mann-Whitney probability that a production value outscores a training one (ties count
   * half), from the ranks of all scores.
   */
  static double rocAuc(List<Example> examples, double[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
    double productionRankSum = 0;
    long production = 0;
    for (int i = 0; i < order.length; ) {
      int j = i;
      while (j < order.length && scores[order[j]] == scores[order[i]]) {
        j++;
      }
      double meanRank = (i + 1 + j) / 2.0; // ranks i+1..j share their mean
      for (int k = i; k < j; k++) {
        if (examples.get(order[k]).production()) {
          productionRankSum += meanRank;
          production++;
        }
      }
      i = j;
    }
    long training = scores.length - production;
    if (production == 0 || training == 0) {
      return 0.5;
    }
    return (productionRankSum - production * (production + 1) / 2.0) / (production * training);
  }

  record Example(List<String> features, boolean production) {}

  /** Multinomial naive Bayes with add-one smoothing; class priors left out, as AUC ignores them. */
  private static final class NaiveBayes {
    private final Map<String, int[]> counts = new HashMap<>();
    private final int[] totals = new int[2];

    void learn(Example e) {
      int k = e.production() ? 1 : 0;
      for (String f : e.features()) {
        counts.computeIfAbsent(f, x -> new int[2])[k]++;
        totals[k]++;
      }
    }

    double productionLogOdds(List<String> features) {
      double vocabulary = counts.size() + 1;
      double score = 0;
      for (String f : features) {
        int[] c = counts.getOrDefault(f, new int[2]);
        score +=
            Math.log((c[1] + 1) / (totals[1] + vocabulary))
                - Math.log((c[0] + 1) / (totals[0] + vocabulary));
      }
      return score;
    }
  }
}
