package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BootstrapTest {

  private static double[] hits(int n, int hits) {
    double[] v = new double[n];
    for (int i = 0; i < hits; i++) {
      v[i * n / hits] = 1;
    }
    return v;
  }

  @Test
  void aMeanWithoutVariationHasNoWidth() {
    Bootstrap.Interval all = Bootstrap.mean(hits(50, 50), 7);
    assertEquals(new Bootstrap.Interval(1, 1, 1), all);
  }

  @Test
  void theIntervalCoversTheEstimateNarrowsWithMoreRowsAndIsSeeded() {
    Bootstrap.Interval small = Bootstrap.mean(hits(40, 30), 7);
    Bootstrap.Interval large = Bootstrap.mean(hits(4000, 3000), 7);

    assertEquals(0.75, small.estimate(), 1e-12);
    assertTrue(small.lo() < 0.75 && 0.75 < small.hi(), small.toString());
    // The normal approximation's half width: 1.96 * sqrt(.75 * .25 / n).
    assertEquals(0.134, small.hi() - small.estimate(), 0.03, small.toString());
    assertEquals(0.0134, large.hi() - large.estimate(), 0.004, large.toString());
    assertEquals(small, Bootstrap.mean(hits(40, 30), 7), "same rows, same seed: same interval");
  }

  @Test
  void aPairedDifferenceKeepsThePairing() {
    // b is right on the same rows as a and on ten more: every pair differs by 0 or -1.
    double[] a = hits(200, 100);
    double[] b = a.clone();
    int extra = 0;
    for (int i = 0; i < b.length && extra < 10; i++) {
      if (b[i] == 0) {
        b[i] = 1;
        extra++;
      }
    }
    Bootstrap.Interval d = Bootstrap.paired(b, a, 3);
    assertEquals(0.05, d.estimate(), 1e-12);
    // Paired, the interval excludes 0; unpaired, two 50%-ish scores on 200 rows could not tell.
    assertTrue(d.lo() > 0, d.toString());
    assertThrows(IllegalArgumentException.class, () -> Bootstrap.paired(a, new double[3], 1));
  }
}
