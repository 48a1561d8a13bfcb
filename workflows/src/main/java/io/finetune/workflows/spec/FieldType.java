package io.finetune.workflows.spec;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What kind of value an output field holds; metrics and drift statistics follow it. A spec names it
 * per field or leaves it to be detected from the training data.
 */
public enum FieldType {
  /** One of a small set of labels: exact match, per-label F1, distribution distance. */
  CATEGORY,
  /** Free text such as a name: normalized match; drift by a domain classifier. */
  TEXT,
  /** A calendar date, ISO {@code yyyy-MM-dd}: compared as dates; drift by format and year. */
  DATE,
  /** A number: compared numerically; drift by format and range. */
  NUMBER;

  public static final List<String> IDS = Arrays.stream(values()).map(FieldType::id).toList();

  /** The name a spec uses, e.g. {@code date}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The type a spec names; null for null, IllegalArgumentException for anything else. */
  public static FieldType of(String id) {
    if (id == null) {
      return null;
    }
    for (FieldType t : values()) {
      if (t.id().equals(id.trim().toLowerCase(Locale.ROOT))) {
        return t;
      }
    }
    throw new IllegalArgumentException("must be one of " + String.join(", ", IDS) + ", was " + id);
  }
}
