package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * How a decision reached the run. An Update (the CLI) must name the open checkpoint and is refused
 * to its sender otherwise; a Signal (the Web UI) may come early and is kept until its checkpoint
 * opens, and an unusable one is recorded and ignored.
 */
public enum Channel {
  UPDATE,
  SIGNAL;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  static Channel of(String id) {
    return valueOf(id.toUpperCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return id();
  }
}
