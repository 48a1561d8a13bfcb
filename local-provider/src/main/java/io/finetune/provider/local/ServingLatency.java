package io.finetune.provider.local;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the local models take to answer a chat request, by size, before any injected latency:
 * larger models are slower, as they are at real providers, so that evals measure the trade-off
 * between a large prompted model and a small tuned one. A tuned model answers as fast as its base.
 */
public record ServingLatency(Duration small, Duration medium, Duration large) {
  /** Small 3 ms, medium 10 ms, large 30 ms: roughly the ratios of 8B, 70B and larger models. */
  public static final ServingLatency DEFAULT =
      new ServingLatency(Duration.ofMillis(3), Duration.ofMillis(10), Duration.ofMillis(30));

  public static final ServingLatency NONE =
      new ServingLatency(Duration.ZERO, Duration.ZERO, Duration.ZERO);

  public ServingLatency {
    for (Duration d : new Duration[] {small, medium, large}) {
      Objects.requireNonNull(d, "serving latency");
      if (d.isNegative()) {
        throw new IllegalArgumentException("serving latency must not be negative: " + d);
      }
    }
  }

  Duration of(ModelCapacity capacity) {
    return switch (capacity) {
      case SMALL -> small;
      case MEDIUM -> medium;
      case LARGE -> large;
    };
  }
}
