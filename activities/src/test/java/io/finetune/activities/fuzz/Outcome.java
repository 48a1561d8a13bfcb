package io.finetune.activities.fuzz;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one fuzz case did: a result, or the reader's own clear error. Any other exception, or no
 * answer within {@link #TIMEOUT}, fails the case.
 */
public record Outcome<T>(T result, RuntimeException error) {
  /** Longer than any reader takes on these inputs by far: a case past it hangs. */
  public static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** Cases that gave a result and cases refused with a clear error, for {@link Fuzz}'s count. */
  static final AtomicInteger RESULTS = new AtomicInteger();

  static final AtomicInteger ERRORS = new AtomicInteger();

  /**
   * Runs {@code call} under the timeout; an exception of type {@code clear} is the reader's error,
   * anything else thrown fails the case with the input named.
   */
  public static <T> Outcome<T> of(
      Callable<T> call, Class<? extends RuntimeException> clear, Object input) {
    return assertTimeoutPreemptively(
        TIMEOUT,
        () -> {
          try {
            T result = call.call();
            RESULTS.incrementAndGet();
            return new Outcome<>(result, null);
          } catch (Throwable e) {
            if (clear.isInstance(e)) {
              ERRORS.incrementAndGet();
              return new Outcome<T>(null, clear.cast(e));
            }
            throw new AssertionError(
                "not a clear error (" + clear.getSimpleName() + ") but " + e + " for " + input, e);
          }
        },
        () -> "no answer within " + TIMEOUT + " for " + input);
  }

  public boolean failed() {
    return error != null;
  }

  /** The error's message is there and mentions each of {@code where} (file, line, field). */
  public String message(String message, String... where) {
    assertTrue(failed());
    assertFalse(message == null || message.isBlank(), "an empty message: " + error);
    for (String w : where) {
      if (!message.contains(w)) {
        fail("the message does not name " + w + ": " + message);
      }
    }
    return message;
  }
}
