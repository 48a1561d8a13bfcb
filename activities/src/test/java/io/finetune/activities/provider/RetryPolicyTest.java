package io.finetune.activities.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void retryAfterInSecondsOrAsAnHttpDate() {
    assertEquals(Optional.of(Duration.ofSeconds(7)), RetryPolicy.asked("7", null, null));
    String inAMinute =
        ZonedDateTime.now(ZoneOffset.UTC)
            .plusSeconds(60)
            .format(DateTimeFormatter.RFC_1123_DATE_TIME);
    Duration d = RetryPolicy.asked(inAMinute, null, null).orElseThrow();
    assertTrue(d.compareTo(Duration.ofSeconds(55)) > 0 && d.compareTo(Duration.ofSeconds(61)) < 0);
  }

  @Test
  void elseTheLongerOfTheRateLimitResets() {
    assertEquals(Optional.of(Duration.ofMillis(20)), RetryPolicy.asked(null, "20ms", null));
    assertEquals(Optional.of(Duration.ofMinutes(6)), RetryPolicy.asked("", "1s", "6m0s"));
    assertEquals(Optional.of(Duration.ofMillis(90_500)), RetryPolicy.goDuration("1m30.5s"));
    assertEquals(Optional.empty(), RetryPolicy.asked("soon", "later", null));
    // OpenAI's milliseconds win over the whole seconds of Retry-After; nonsense falls through.
    assertEquals(Optional.of(Duration.ofMillis(250)), RetryPolicy.asked("250", "1", null, null));
    assertEquals(Optional.of(Duration.ofSeconds(1)), RetryPolicy.asked("soon", "1", null, null));
    assertEquals(Optional.empty(), RetryPolicy.goDuration("5 s"));
  }

  @Test
  void backoffGrowsUpToItsCapWithJitter() {
    RetryPolicy p =
        new RetryPolicy(Duration.ofMinutes(1), Duration.ofMillis(100), Duration.ofSeconds(1));
    for (int attempt = 1; attempt < 12; attempt++) {
      long cap = Math.min(1_000, 100L << (attempt - 1));
      long wait = p.backoff(attempt).toMillis();
      assertTrue(wait >= 0 && wait <= cap, attempt + ": " + wait + " > " + cap);
    }
  }
}
