package io.finetune.workflows.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;

/** A model size class; the spec maps each to a provider's base model (rule 6). */
public enum Size {
  SMALL,
  MEDIUM,
  LARGE;

  /** As written in specs, histories and model names: {@code small}, {@code medium}, ... */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The size called {@code id} (any case); fails with the valid names otherwise. */
  @JsonCreator
  public static Size of(String id) {
    return Arrays.stream(values())
        .filter(s -> s.id().equalsIgnoreCase(id == null ? "" : id.trim()))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown size '" + id + "'; expected one of " + Arrays.toString(values())));
  }

  @Override
  public String toString() {
    return id();
  }
}
