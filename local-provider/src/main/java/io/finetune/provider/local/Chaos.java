package io.finetune.provider.local;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Faults the local provider injects, to show how a pipeline rides out a busy provider.
 *
 * <p>Each request draws, from a {@link java.util.Random} seeded with {@code seed}, whether it gets
 * a fault ({@code rate}: 0 never, 1 always) and which one, evenly among {@code kinds}. The fault is
 * decided before the request is handled, so a faulted request has had no effect and a retry is
 * safe. {@code addedLatency} delays every request, faulted or not, before it is answered.
 *
 * @param rate the share of requests that get a fault, 0 to 1
 * @param seed the seed of the draws (same seed and same request order: same faults)
 * @param addedLatency added to every request; {@link Duration#ZERO} for none
 * @param kinds the faults to draw from (all four unless narrowed with {@link #only})
 */
public record Chaos(double rate, long seed, Duration addedLatency, Set<Fault> kinds) {
  /** No faults, no added latency. */
  public static final Chaos NONE = new Chaos(0, 1, Duration.ZERO);

  /** A fault the provider can answer a request with instead of handling it. */
  public enum Fault {
    /** 429 with {@code Retry-After: 1} and an OpenAI-style {@code rate_limit_exceeded} body. */
    RATE_LIMITED,
    /** 500 with an OpenAI-style {@code server_error} body. */
    SERVER_ERROR,
    /** 503 with an OpenAI-style body saying the engine is overloaded. */
    UNAVAILABLE,
    /** The connection is closed without a response (the client sees an IOException). */
    CONNECTION_RESET
  }

  public Chaos {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("chaos rate must be between 0 and 1, got " + rate);
    }
    Objects.requireNonNull(addedLatency, "addedLatency");
    if (addedLatency.isNegative()) {
      throw new IllegalArgumentException("chaos added latency must not be negative");
    }
    if (kinds == null || kinds.isEmpty()) {
      throw new IllegalArgumentException("chaos needs at least one fault kind");
    }
    kinds = Set.copyOf(EnumSet.copyOf(kinds));
  }

  /** Faults of every kind at {@code rate}, and {@code addedLatency} on every request. */
  public Chaos(double rate, long seed, Duration addedLatency) {
    this(rate, seed, addedLatency, EnumSet.allOf(Fault.class));
  }

  /** The same chaos, drawing only among the given kinds. */
  public Chaos only(Fault first, Fault... more) {
    return new Chaos(rate, seed, addedLatency, EnumSet.of(first, more));
  }

  /** Whether this injects anything at all. */
  public boolean enabled() {
    return rate > 0 || !addedLatency.isZero();
  }
}
