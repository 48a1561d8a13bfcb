package io.finetune.workflows.common;

import java.util.Map;

/** Names of the metrics every evaluation reports, and how a spec's target names one. */
public final class Scores {
  /** Share of labeled rows whose every output field is right. */
  public static final String EXACT_MATCH = "exact_match";

  /** Share of answers that were not a JSON object with the expected fields. */
  public static final String INVALID_OUTPUT_RATE = "invalid_output_rate";

  /** Prefix of per-field accuracy, e.g. {@code field:category}. */
  public static final String FIELD_PREFIX = "field:";

  private Scores() {}

  public static double of(Map<String, Double> metrics, String metric) {
    Double v = metrics == null ? null : metrics.get(metric);
    return v == null ? 0.0 : v;
  }
}
