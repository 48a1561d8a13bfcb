package io.finetune.activities.provider;

import io.finetune.activities.provider.ProviderMetrics.Throttle;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate every request to one provider passes, shared by all activities of this worker: it keeps
 * as many requests in flight as the provider serves without 429s, and within its published requests
 * and tokens per minute.
 *
 * <p>The in-flight limit is found the way TCP finds a link's capacity (AIMD). A 429 halves it, once
 * per congestion window: requests admitted before a cut were sent into the same overload, so their
 * 429s do not cut again. Requests answered while the gate was full raise it by one per {@code
 * limit} of them, or by one each until the first 429 (slow start); a limit the requests do not use
 * never grows, so a later cut takes effect. It never exceeds {@link ProviderConfig.Limits
 * #maxConcurrency()} when one is set.
 *
 * <p>Requests and tokens per minute are buckets that refill continuously. A request reserves its
 * estimated tokens, corrected by what its answer says it used. Waiting requests go in order of
 * arrival, so a large request is not starved by small ones; a wait ends when its thread is
 * interrupted (an eval being cancelled).
 */
final class AdaptiveLimit {
  private static final Logger log = LoggerFactory.getLogger(AdaptiveLimit.class);

  /** Where the limit starts, unless the configured maximum is lower. */
  static final int INITIAL = 4;

  /** Under steady overload the limit swings every few requests: it is logged at most this often. */
  private static final long LOG_EVERY = TimeUnit.SECONDS.toNanos(30);

  /** How an acquire passes time; tests move a fake clock instead of blocking. */
  @FunctionalInterface
  interface Waiter {
    Waiter BLOCKING = Condition::awaitNanos;

    /** Waits up to {@code nanos} or until {@code changed} is signalled, whichever is first. */
    long await(Condition changed, long nanos) throws InterruptedException;
  }

  /** How a request ended, as far as the limit cares. */
  enum Result {
    /** Answered: the provider coped. */
    SUCCESS,
    /** 429: the provider is overloaded. */
    OVERLOADED,
    /** Anything else (an error, an outage, cancelled): says nothing about load. */
    OTHER
  }

  private final String provider;
  private final int max;
  private final Bucket requests;
  private final Bucket tokens;
  private final ProviderMetrics metrics;
  private final LongSupplier nanoTime;
  private final Waiter waiter;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<Object> queue = new ArrayDeque<>();

  private volatile int limit;
  private int inFlight;
  private int window;
  private int successes;
  private boolean slowStart = true;
  private int logged;
  private long loggedAt;
  private int cutsSinceLogged;

  AdaptiveLimit(String provider, ProviderConfig.Limits limits, ProviderMetrics metrics) {
    this(provider, limits, metrics, System::nanoTime, Waiter.BLOCKING);
  }

  AdaptiveLimit(
      String provider,
      ProviderConfig.Limits limits,
      ProviderMetrics metrics,
      LongSupplier nanoTime,
      Waiter waiter) {
    this.provider = provider;
    this.max = Math.max(0, limits.maxConcurrency());
    this.nanoTime = nanoTime;
    this.waiter = waiter;
    long now = nanoTime.getAsLong();
    this.requests =
        limits.requestsPerMinute() > 0 ? new Bucket(limits.requestsPerMinute(), now) : null;
    this.tokens = limits.tokensPerMinute() > 0 ? new Bucket(limits.tokensPerMinute(), now) : null;
    this.metrics = metrics;
    this.limit = max > 0 ? Math.min(max, INITIAL) : INITIAL;
    this.logged = limit;
    this.loggedAt = now - LOG_EVERY;
    metrics.concurrencyLimit(provider, () -> this.limit);
  }

  /** The requests that may be in flight at once, now. */
  int limit() {
    return limit;
  }

  /** Requests waiting for their turn (for tests). */
  int waiting() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a request that is expected to use {@code estimatedTokens} may be sent: a place in
   * flight, a request and the tokens in this minute's budgets, and no request waiting before it.
   */
  Permit acquire(long estimatedTokens) throws InterruptedException {
    Object turn = new Object();
    lock.lock();
    try {
      queue.add(turn);
      try {
        boolean counted = false;
        while (true) {
          long now = nanoTime.getAsLong();
          long wait = Long.MAX_VALUE; // until the gate changes
          Throttle reason = null;
          if (inFlight >= limit) {
            reason = Throttle.CONCURRENCY;
          } else if (requests != null && (wait = requests.nanosUntil(1, now)) > 0) {
            reason = Throttle.REQUESTS;
          } else if (tokens != null && (wait = tokens.nanosUntil(estimatedTokens, now)) > 0) {
            reason = Throttle.TOKENS;
          } else if (queue.peekFirst() == turn) {
            return admit(estimatedTokens, now);
          } else {
            wait = Long.MAX_VALUE; // behind another request, which signals when it leaves
          }
          if (reason != null && !counted) {
            metrics.throttled(provider, reason);
            counted = true;
          }
          waiter.await(changed, wait);
        }
      } finally {
        queue.remove(turn);
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  private Permit admit(long estimatedTokens, long now) {
    long reserved = 0;
    if (requests != null) {
      requests.take(1, now);
    }
    if (tokens != null) {
      reserved = Math.min(Math.max(0, estimatedTokens), tokens.capacity);
      tokens.take(reserved, now);
    }
    inFlight++;
    return new Permit(window, reserved);
  }

  /** A place in flight, given back once with how the request ended. */
  final class Permit {
    private final int window;
    private final long reserved;
    private boolean released;

    private Permit(int window, long reserved) {
      this.window = window;
      this.reserved = reserved;
    }

    /**
     * @param usedTokens what the answer says the request used, or -1 when it does not say
     */
    void release(Result result, long usedTokens) {
      lock.lock();
      try {
        if (released) {
          return;
        }
        released = true;
        if (tokens != null && usedTokens >= 0) {
          tokens.take(usedTokens - reserved, nanoTime.getAsLong());
        }
        boolean full = inFlight >= limit;
        inFlight--;
        // Only requests sent under the current limit say anything about it.
        if (window == AdaptiveLimit.this.window) {
          if (result == Result.OVERLOADED) {
            decrease();
          } else if (result == Result.SUCCESS && full) {
            increase();
          }
        }
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private void decrease() {
    limit = Math.max(1, limit / 2);
    window++;
    successes = 0;
    slowStart = false;
    cutsSinceLogged++;
    logIfNoticeable();
  }

  @SuppressWarnings("NonAtomicVolatileUpdate") // written under lock; volatile for the gauge
  private void increase() {
    if (max > 0 && limit >= max) {
      return;
    }
    if (slowStart || ++successes >= limit) {
      limit++;
      successes = 0;
      logIfNoticeable();
    }
  }

  /** When the limit has halved or doubled since the last line, or reached the maximum. */
  private void logIfNoticeable() {
    long now = nanoTime.getAsLong();
    boolean noticeable =
        limit <= logged / 2 || limit >= 2 * logged || (limit == max && logged != max);
    if (noticeable && now - loggedAt >= LOG_EVERY) {
      log.info(
          "Provider '{}': requests in flight at most {}, was {} ({} cuts for 429s since)",
          provider,
          limit,
          logged,
          cutsSinceLogged);
      logged = limit;
      loggedAt = now;
      cutsSinceLogged = 0;
    }
  }

  /** A per-minute budget that refills continuously, and may run into debt when usage is late. */
  private static final class Bucket {
    private static final double NANOS_PER_MINUTE = TimeUnit.MINUTES.toNanos(1);

    final long capacity;
    private double available;
    private long refilled;

    Bucket(long perMinute, long now) {
      this.capacity = perMinute;
      this.available = perMinute;
      this.refilled = now;
    }

    /** How long until {@code amount} (at most the capacity) is available; 0 when it is. */
    long nanosUntil(long amount, long now) {
      refill(now);
      double missing = Math.min(amount, capacity) - available;
      return missing <= 0
          ? 0
          : Math.max(1, (long) Math.ceil(missing * NANOS_PER_MINUTE / capacity));
    }

    /** Takes {@code amount}, or gives it back when negative. */
    void take(long amount, long now) {
      refill(now);
      available = Math.min((double) capacity, available - amount);
    }

    private void refill(long now) {
      if (now > refilled) {
        available =
            Math.min(
                (double) capacity,
                available + (double) (now - refilled) * capacity / NANOS_PER_MINUTE);
        refilled = now;
      }
    }
  }
}
