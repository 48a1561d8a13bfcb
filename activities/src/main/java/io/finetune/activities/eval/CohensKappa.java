package io.finetune.activities.eval;

import java.util.List;

/**
 * Cohen's kappa between two raters over the same items: (p_o - p_e) / (1 - p_e), where p_o is the
 * share they agree on and p_e the share they would agree on by chance, from each rater's own
 * frequencies of each class. 1 is perfect agreement, 0 no better than chance.
 */
final class CohensKappa {
  private CohensKappa() {}

  /** Raw agreement: the share of items both raters put in the same class (0 without items). */
  static <T> double agreement(List<T> a, List<T> b) {
    check(a, b);
    if (a.isEmpty()) {
      return 0;
    }
    int same = 0;
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i).equals(b.get(i))) {
        same++;
      }
    }
    return (double) same / a.size();
  }

  /**
   * Kappa over {@code classes}. When chance alone would agree on every item (both raters always use
   * one and the same class), kappa is undefined; it is then 1 for full agreement, else 0.
   */
  static <T> double kappa(List<T> a, List<T> b, List<T> classes) {
    check(a, b);
    if (a.isEmpty()) {
      return 0;
    }
    double observed = agreement(a, b);
    double chance = 0;
    for (T c : classes) {
      chance += share(a, c) * share(b, c);
    }
    if (chance >= 1) {
      return observed >= 1 ? 1 : 0;
    }
    return (observed - chance) / (1 - chance);
  }

  private static <T> double share(List<T> ratings, T c) {
    return (double) ratings.stream().filter(c::equals).count() / ratings.size();
  }

  private static void check(List<?> a, List<?> b) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException(
          "raters rated " + a.size() + " and " + b.size() + " items");
    }
  }
}
