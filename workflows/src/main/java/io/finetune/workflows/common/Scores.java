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

  /** Share of answers that parse as a JSON object with every output field. */
  public static final String JSON_VALID = "json_valid";

  /**
   * Prefix of a field's macro-F1, e.g. {@code macro_f1:category}: the unweighted mean of the F1 of
   * each of its labels (every expected or predicted value), so rare labels count as much as common
   * ones.
   */
  public static final String MACRO_F1_PREFIX = "macro_f1:";

  /**
   * Free-text answers: share of rows whose answer equals the expected text once both are normalized
   * (case, whitespace and punctuation ignored).
   */
  public static final String TEXT_EXACT_MATCH = "text_exact_match";

  /** Free-text answers: corpus-level chrF (character 1..6-grams, beta 2), from 0 to 1. */
  public static final String CHRF = "chrf";

  private Scores() {}

  public static double of(Map<String, Double> metrics, String metric) {
    Double v = metrics == null ? null : metrics.get(metric);
    return v == null ? 0.0 : v;
  }
}
