package io.finetune.worker;

import io.finetune.activities.provider.ProviderMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Provider requests as Micrometer meters, each tagged {@code provider}, {@code method}, {@code
 * endpoint} (the path template), {@code status} ({@code 2xx} … {@code 5xx}, or {@code none} when no
 * answer came) and {@code outcome} ({@code success}, {@code rejected}, {@code unavailable}, {@code
 * cancelled}):
 *
 * <ul>
 *   <li>{@value #REQUESTS}: every request;
 *   <li>{@value #DURATION}: their latency, with histogram buckets from 5 ms to 2 min;
 *   <li>{@value #ERRORS}: those the provider refused or did not serve (cancelled ones are ours).
 * </ul>
 *
 * <p>And, tagged {@code provider}, how its gate holds requests back:
 *
 * <ul>
 *   <li>{@value #CONCURRENCY_LIMIT}: the requests that may be in flight now (it halves on 429s);
 *   <li>{@value #THROTTLED}: requests that waited before they were sent, by {@code reason} ({@code
 *       concurrency}, {@code requests} or {@code tokens} per minute).
 * </ul>
 */
final class MicrometerProviderMetrics implements ProviderMetrics {
  static final String REQUESTS = "finetune.provider.requests";
  static final String DURATION = "finetune.provider.request.duration";
  static final String ERRORS = "finetune.provider.errors";
  static final String CONCURRENCY_LIMIT = "finetune.provider.concurrency.limit";
  static final String THROTTLED = "finetune.provider.throttled";

  private final MeterRegistry registry;

  MicrometerProviderMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void record(Exchange e) {
    Tags tags =
        Tags.of(
            "provider", e.provider(),
            "method", e.method(),
            "endpoint", e.endpoint(),
            "status", statusClass(e.status()),
            "outcome", e.outcome().name().toLowerCase(Locale.ROOT));
    Counter.builder(REQUESTS)
        .description("Requests to model providers")
        .tags(tags)
        .register(registry)
        .increment();
    Timer.builder(DURATION)
        .description("Latency of requests to model providers, to the end of the answer")
        .tags(tags)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(5))
        .maximumExpectedValue(Duration.ofMinutes(2))
        .register(registry)
        .record(e.nanos(), TimeUnit.NANOSECONDS);
    if (e.outcome() == Outcome.REJECTED || e.outcome() == Outcome.UNAVAILABLE) {
      Counter.builder(ERRORS)
          .description("Provider requests refused, failed or unanswered")
          .tags(tags)
          .register(registry)
          .increment();
    }
  }

  @Override
  public void concurrencyLimit(String provider, IntSupplier current) {
    Gauge.builder(CONCURRENCY_LIMIT, current::getAsInt)
        .description("Requests to a model provider that may be in flight at once, adapted to 429s")
        .tag("provider", provider)
        .register(registry);
  }

  @Override
  public void throttled(String provider, Throttle reason) {
    Counter.builder(THROTTLED)
        .description("Requests to a model provider that waited for their turn")
        .tags("provider", provider, "reason", reason.name().toLowerCase(Locale.ROOT))
        .register(registry)
        .increment();
  }

  static String statusClass(int status) {
    return status < 100 || status > 599 ? "none" : (status / 100) + "xx";
  }
}
