package io.finetune.activities.provider;

/**
 * Where {@link ProviderClient} reports each request it made, for the worker to count and time (the
 * worker backs it with Micrometer; this module stays free of it).
 */
@FunctionalInterface
public interface ProviderMetrics {
  /** Reports nothing. */
  ProviderMetrics NONE = exchange -> {};

  void record(Exchange exchange);

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
}
