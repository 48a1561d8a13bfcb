package io.finetune.activities.eval;

import io.finetune.activities.provider.ProviderClient.ChatAnswer;
import io.finetune.activities.provider.ProviderConfig.Price;
import io.finetune.workflows.eval.EvalActivities.Usage;
import java.util.Arrays;
import java.util.List;

/** Sums up what an eval's answers took: latency percentiles, tokens and the cost they imply. */
final class UsageSummary {
  private UsageSummary() {}

  /**
   * @param price the model's price, or null when the provider's price table has none
   */
  static Usage of(List<ChatAnswer> answers, Price price) {
    Totals totals = new Totals();
    answers.forEach(totals::add);
    return totals.usage(price);
  }

  /**
   * The sums of answers added one at a time: tokens, and each known latency as a primitive (for its
   * percentiles), never the answers themselves.
   */
  static final class Totals {
    private double[] latencies = new double[256];
    private int known;
    private int requests;
    private long in;
    private long out;

    void add(ChatAnswer a) {
      requests++;
      in += a.promptTokens();
      out += a.completionTokens();
      if (!Double.isNaN(a.latencyMillis())) {
        if (known == latencies.length) {
          latencies = Arrays.copyOf(latencies, known * 2);
        }
        latencies[known++] = a.latencyMillis();
      }
    }

    Usage usage(Price price) {
      double[] sorted = Arrays.copyOf(latencies, known);
      Arrays.sort(sorted);
      Double costPer1k = null;
      if (price != null && requests > 0) {
        double total = (in * price.inputPerMillion() + out * price.outputPerMillion()) / 1e6;
        costPer1k = total / requests * 1000;
      }
      return new Usage(
          requests, percentile(sorted, 50), percentile(sorted, 95), in, out, costPer1k);
    }
  }

  /** The nearest-rank percentile of sorted values; null when there are none. */
  static Double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return null;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
