package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a reviewer decides at a checkpoint. */
public enum Action {
  APPROVE,
  REJECT;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The action called {@code id} in any case ("Approve" typed in the Web UI counts), if any. */
  public static Optional<Action> find(String id) {
    return Arrays.stream(values()).filter(a -> a.id().equalsIgnoreCase(id)).findFirst();
  }

  @JsonCreator
  static Action of(String id) {
    return find(id).orElseThrow(() -> new IllegalArgumentException("unknown action '" + id + "'"));
  }

  @Override
  public String toString() {
    return id();
  }
}
