package io.finetune.activities.eval;

import io.finetune.activities.provider.ProviderClient.ChatAnswer;
import io.finetune.activities.provider.ProviderConfig.Price;
import io.finetune.workflows.eval.EvalActivities.Usage;
import java.util.List;

/** Sums up what an eval's answers took: latency percentiles, tokens and the cost they imply. */
final class UsageSummary {
  private UsageSummary() {}

  /**
   * @param price the model's price, or null when the provider's price table has none
   */
  static Usage of(List<ChatAnswer> answers, Price price) {
    double[] latencies =
        answers.stream()
            .mapToDouble(ChatAnswer::latencyMillis)
            .filter(ms -> !Double.isNaN(ms))
            .sorted()
            .toArray();
    long in = answers.stream().mapToLong(ChatAnswer::promptTokens).sum();
    long out = answers.stream().mapToLong(ChatAnswer::completionTokens).sum();
    Double costPer1k = null;
    if (price != null && !answers.isEmpty()) {
      double total = (in * price.inputPerMillion() + out * price.outputPerMillion()) / 1e6;
      costPer1k = total / answers.size() * 1000;
    }
    return new Usage(
        answers.size(), percentile(latencies, 50), percentile(latencies, 95), in, out, costPer1k);
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
