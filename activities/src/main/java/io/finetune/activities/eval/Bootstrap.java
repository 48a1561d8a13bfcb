package io.finetune.activities.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded percentile bootstrap of a mean over rows, alone or paired with another model's rows on the
 * same data (resampling rows, not models, so that the difference keeps the pairing). Seeded: the
 * same predictions give the same interval, on any worker and in any retry.
 */
final class Bootstrap {
  /** Enough resamples for the 2.5th and 97.5th percentiles to be stable to about 0.005. */
  static final int RESAMPLES = 2000;

  private Bootstrap() {}

  /** A 95% interval around an estimate. */
  record Interval(double estimate, double lo, double hi) {}

  /** The mean of {@code values} with its 95% interval. */
  static Interval mean(double[] values, long seed) {
    return paired(values, new double[values.length], seed);
  }

  /**
   * The mean of {@code a[i] - b[i]} with its 95% interval; {@code a} and {@code b} are the same
   * rows scored for two models.
   */
  static Interval paired(double[] a, double[] b, long seed) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("paired rows differ: " + a.length + " vs " + b.length);
    }
    int n = a.length;
    if (n == 0) {
      return new Interval(0, 0, 0);
    }
    double[] d = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      d[i] = a[i] - b[i];
      sum += d[i];
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] means = new double[RESAMPLES];
    for (int r = 0; r < RESAMPLES; r++) {
      double s = 0;
      for (int i = 0; i < n; i++) {
        s += d[random.nextInt(n)];
      }
      means[r] = s / n;
    }
    Arrays.sort(means);
    return new Interval(
        sum / n,
        means[(int) Math.floor(0.025 * (RESAMPLES - 1))],
        means[(int) Math.ceil(0.975 * (RESAMPLES - 1))]);
  }
}
