package io.finetune.activities.provider;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How one provider request rides out a busy or flaky provider before its activity gives up (and
 * Temporal's retry policy takes over): waits for what a 429 asks ({@code Retry-After} in seconds or
 * as an HTTP date, else the {@code x-ratelimit-reset-*} headers), and backs off exponentially with
 * full jitter after 5xx, 408, timeouts and dropped connections, within {@code budget}.
 */
public record RetryPolicy(Duration budget, Duration initialBackoff, Duration maxBackoff) {
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(Duration.ofSeconds(30), Duration.ofMillis(250), Duration.ofSeconds(8));

  /** No waiting: every failure goes straight to the activity (tests of the mapping). */
  public static final RetryPolicy NONE =
      new RetryPolicy(Duration.ZERO, Duration.ZERO, Duration.ZERO);

  private static final Pattern GO_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

  /** The wait before attempt {@code attempt + 1} after {@code attempt} failures (full jitter). */
  Duration backoff(int attempt) {
    long cap =
        Math.min(
            maxBackoff.toMillis(),
            initialBackoff.toMillis() * (1L << Math.min(20, Math.max(0, attempt - 1))));
    return Duration.ofMillis(cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap + 1));
  }

  /**
   * What a 429 asks to wait: {@code retry-after-ms} (milliseconds, which OpenAI sends beside the
   * whole seconds of {@code Retry-After}), else {@code Retry-After} (seconds or an HTTP date), else
   * the longer of the {@code x-ratelimit-reset-requests} / {@code -tokens} durations, if any.
   */
  static Optional<Duration> asked(
      String retryAfterMs, String retryAfter, String resetRequests, String resetTokens) {
    if (retryAfterMs != null && !retryAfterMs.isBlank()) {
      try {
        double ms = Double.parseDouble(retryAfterMs.trim());
        if (ms >= 0 && !Double.isInfinite(ms)) {
          return Optional.of(Duration.ofMillis(Math.round(ms)));
        }
      } catch (NumberFormatException notMillis) {
        // fall through to the other headers
      }
    }
    return asked(retryAfter, resetRequests, resetTokens);
  }

  /**
   * What a 429 asks to wait: {@code Retry-After} (seconds or an HTTP date), else the longer of the
   * {@code x-ratelimit-reset-requests} / {@code -tokens} durations ({@code 1s}, {@code 6m0s},
   * {@code 20ms}), if any.
   */
  static Optional<Duration> asked(String retryAfter, String resetRequests, String resetTokens) {
    if (retryAfter != null && !retryAfter.isBlank()) {
      try {
        return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(retryAfter.trim()))));
      } catch (NumberFormatException notSeconds) {
        try {
          ZonedDateTime at =
              ZonedDateTime.parse(retryAfter.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
          Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
          return Optional.of(d.isNegative() ? Duration.ZERO : d);
        } catch (DateTimeParseException notADate) {
          // neither: fall through to the rate-limit headers
        }
      }
    }
    Optional<Duration> requests = goDuration(resetRequests);
    Optional<Duration> tokens = goDuration(resetTokens);
    if (requests.isPresent() && tokens.isPresent()) {
      return Optional.of(
          requests.get().compareTo(tokens.get()) >= 0 ? requests.get() : tokens.get());
    }
    return requests.isPresent() ? requests : tokens;
  }

  /** A duration as OpenAI's rate-limit headers write it: {@code 1m30.5s}, {@code 20ms}. */
  static Optional<Duration> goDuration(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    Matcher m = GO_DURATION.matcher(text.trim());
    double millis = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        return Optional.empty();
      }
      double v = Double.parseDouble(m.group(1));
      millis +=
          switch (m.group(2)) {
            case "h" -> v * 3_600_000;
            case "m" -> v * 60_000;
            case "s" -> v * 1_000;
            default -> v;
          };
      end = m.end();
    }
    return end == text.trim().length() && end > 0
        ? Optional.of(Duration.ofMillis(Math.round(millis)))
        : Optional.empty();
  }
}
