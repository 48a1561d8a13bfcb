package io.finetune.workflows.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/**
 * Why fine-tuning would be worth it (rule 1). Only for quality does a prompt that meets the target
 * end the run: for latency or cost a smaller tuned model can still be worth training.
 */
public enum TargetReason {
  QUALITY,
  LATENCY,
  COST;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static TargetReason of(String id) {
    return Arrays.stream(values())
        .filter(r -> r.id().equalsIgnoreCase(id == null ? "" : id.trim()))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown reason '" + id + "'; expected one of " + Arrays.toString(values())));
  }

  @Override
  public String toString() {
    return id();
  }
}
