package io.finetune.activities.provider;

import java.util.function.IntSupplier;

/**
 * Where {@link ProviderClient} reports each request it made, for the worker to count and time, and
 * how its provider's gate holds requests back (the worker backs it with Micrometer; this module
 * stays free of it).
 */
@FunctionalInterface
public interface ProviderMetrics {
  /** Reports nothing. */
  ProviderMetrics NONE = exchange -> {};

  void record(Exchange exchange);

  /** Called once per provider: {@code current} tells how many requests may be in flight now. */
  default void concurrencyLimit(String provider, IntSupplier current) {}

  /** A request had to wait before it was sent, first for {@code reason}. */
  default void throttled(String provider, Throttle reason) {}

  /**
   * One request and how it ended.
   *
   * @param provider the provider's configured name
   * @param method the HTTP method
   * @param endpoint the path template under the base URL, e.g. {@code chat/completions} or {@code
   *     fine_tuning/jobs/{id}}: never an id
   * @param status the HTTP status, or 0 when no answer came (connection error, cancelled)
   * @param outcome success, or how the client treated the failure
   * @param nanos from sending the request to reading the whole answer (or giving up)
   */
  record Exchange(
      String provider, String method, String endpoint, int status, Outcome outcome, long nanos) {}

  enum Outcome {
    /** A 2xx answer that could be read. */
    SUCCESS,
    /** Refused by the provider (a 4xx other than 408, 409, 429): failed without retrying. */
    REJECTED,
    /** Overload, outage, no answer or an unreadable one: retried. */
    UNAVAILABLE,
    /** Cancelled by us (an eval that stopped): not a provider error. */
    CANCELLED
  }

  /** What a request waited for. */
  enum Throttle {
    /** A place among the requests in flight. */
    CONCURRENCY,
    /** The requests-per-minute budget. */
    REQUESTS,
    /** The tokens-per-minute budget. */
    TOKENS
  }
}
