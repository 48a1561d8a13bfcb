package io.finetune.activities.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.finetune.activities.provider.AdaptiveLimit.Permit;
import io.finetune.activities.provider.AdaptiveLimit.Result;
import io.finetune.activities.provider.ProviderConfig.Limits;
import io.finetune.activities.provider.ProviderMetrics.Throttle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gate's rules, on a fake clock: waits move the clock instead of blocking, so the budgets are
 * checked to the nanosecond. Threads block for real only where the test is about blocking.
 */
@Timeout(10) // a gate that never lets a request through would otherwise hang the build
class AdaptiveLimitTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private final AtomicLong now = new AtomicLong(123_456_789);
  private final List<Long> waits = new ArrayList<>();
  private final List<Throttle> throttled = new CopyOnWriteArrayList<>();
  private final ProviderMetrics metrics =
      new ProviderMetrics() {
        @Override
        public void record(Exchange exchange) {}

        @Override
        public void throttled(String provider, Throttle reason) {
          throttled.add(reason);
        }
      };

  /** Passes the time a budget asks for; waiting for another request would never end here. */
  private final AdaptiveLimit.Waiter fakeTime =
      (changed, nanos) -> {
        if (nanos == Long.MAX_VALUE) {
          throw new AssertionError("would wait for another request, in a single thread");
        }
        waits.add(nanos);
        now.addAndGet(nanos);
        return 0;
      };

  private AdaptiveLimit gate(Limits limits) {
    return new AdaptiveLimit("p", limits, metrics, now::get, fakeTime);
  }

  /** Keeps the gate full and lets one request in the current window succeed, {@code n} times. */
  private static void succeedWhileFull(AdaptiveLimit gate, Deque<Permit> inFlight, int n)
      throws InterruptedException {
    for (int i = 0; i < n; i++) {
      while (inFlight.size() < gate.limit()) {
        inFlight.add(gate.acquire(0));
      }
      inFlight.removeLast().release(Result.SUCCESS, -1);
    }
  }

  @Test
  void startsLowThenDoublesUntilTheFirst429() throws Exception {
    AdaptiveLimit gate = gate(Limits.NONE);
    Deque<Permit> inFlight = new ArrayDeque<>();
    assertEquals(AdaptiveLimit.INITIAL, gate.limit());
    succeedWhileFull(gate, inFlight, 12);
    assertEquals(16, gate.limit(), "one more per success while full: doubled twice");

    // Requests that leave the limit unused do not raise it, or a later cut would not bite.
    while (inFlight.size() > 1) {
      inFlight.removeLast().release(Result.SUCCESS, -1);
    }
    for (int i = 0; i < 50; i++) {
      gate.acquire(0).release(Result.SUCCESS, -1);
    }
    assertEquals(16, gate.limit());
    assertTrue(throttled.isEmpty());
  }

  @Test
  void aBurstOf429sHalvesOncePerWindowAndNotBelowOne() throws Exception {
    AdaptiveLimit gate = gate(Limits.NONE);
    Deque<Permit> inFlight = new ArrayDeque<>();
    succeedWhileFull(gate, inFlight, 4);
    assertEquals(8, gate.limit());
    while (inFlight.size() < 8) {
      inFlight.add(gate.acquire(0));
    }
    // One overload answers all eight: the limit halves once, not to 1.
    while (!inFlight.isEmpty()) {
      inFlight.removeFirst().release(Result.OVERLOADED, -1);
    }
    assertEquals(4, gate.limit());

    // A 429 to a request sent under the new limit halves it again.
    while (inFlight.size() < 4) {
      inFlight.add(gate.acquire(0));
    }
    inFlight.removeFirst().release(Result.OVERLOADED, -1);
    assertEquals(2, gate.limit());
    // The successes of requests sent before that cut do not grow it back.
    while (!inFlight.isEmpty()) {
      inFlight.removeFirst().release(Result.SUCCESS, -1);
    }
    assertEquals(2, gate.limit());

    gate.acquire(0).release(Result.OVERLOADED, -1);
    assertEquals(1, gate.limit());
    gate.acquire(0).release(Result.OVERLOADED, -1);
    assertEquals(1, gate.limit(), "the floor");
  }

  @Test
  void after429sSuccessesGrowItBackByOnePerWindowUpToTheMaximum() throws Exception {
    AdaptiveLimit gate = gate(new Limits(6, 0, 0));
    Deque<Permit> inFlight = new ArrayDeque<>();
    assertEquals(4, gate.limit(), "the maximum is higher");
    gate.acquire(0).release(Result.OVERLOADED, -1);
    assertEquals(2, gate.limit());

    succeedWhileFull(gate, inFlight, 1);
    assertEquals(2, gate.limit(), "not before a window of successes");
    succeedWhileFull(gate, inFlight, 1);
    assertEquals(3, gate.limit());
    succeedWhileFull(gate, inFlight, 3);
    assertEquals(4, gate.limit());
    succeedWhileFull(gate, inFlight, 4 + 5 + 6 * 10);
    assertEquals(6, gate.limit(), "the maximum configured");
  }

  @Test
  void requestsPerMinuteWaitForTheBudgetToRefill() throws Exception {
    AdaptiveLimit gate = gate(new Limits(0, 60, 0));
    for (int i = 0; i < 60; i++) {
      gate.acquire(0).release(Result.SUCCESS, -1);
    }
    assertEquals(List.of(), waits, "a minute's budget at once");
    gate.acquire(0).release(Result.SUCCESS, -1);
    assertEquals(List.of(SECOND), waits, "then one request a second");
    assertEquals(List.of(Throttle.REQUESTS), throttled);

    now.addAndGet(30 * SECOND);
    for (int i = 0; i < 30; i++) {
      gate.acquire(0).release(Result.SUCCESS, -1);
    }
    assertEquals(1, waits.size(), "half a minute refilled half the budget");
  }

  @Test
  void tokensPerMinuteReserveTheEstimateAndCorrectItWithTheUsage() throws Exception {
    AdaptiveLimit gate = gate(new Limits(0, 0, 1_000));
    gate.acquire(600).release(Result.SUCCESS, 900); // 100 left
    gate.acquire(300).release(Result.SUCCESS, -1); // no usage said: the estimate stands
    assertEquals(List.of(12 * SECOND), waits, "200 tokens at 1000 a minute");

    // A request larger than the whole budget waits for a full one, not forever.
    Permit large = gate.acquire(5_000);
    assertEquals(List.of(12 * SECOND, 60 * SECOND), waits);
    large.release(Result.SUCCESS, 100); // it used little: the rest comes back
    gate.acquire(900).release(Result.SUCCESS, 900);
    assertEquals(2, waits.size());
    assertEquals(List.of(Throttle.TOKENS, Throttle.TOKENS), throttled);
  }

  @Test
  void aWaitForAPlaceInFlightEndsWhenItsThreadIsInterrupted() throws Exception {
    AdaptiveLimit gate =
        new AdaptiveLimit(
            "p", new Limits(1, 0, 0), metrics, now::get, AdaptiveLimit.Waiter.BLOCKING);
    Permit held = gate.acquire(0);
    AtomicReference<Throwable> ended = new AtomicReference<>();
    Thread waiter = waitingThread(gate, 0, ended);
    awaitWaiting(gate, 1);
    waiter.interrupt();
    waiter.join();
    assertInstanceOf(InterruptedException.class, ended.get());
    assertEquals(0, gate.waiting(), "it left the queue");
    assertEquals(List.of(Throttle.CONCURRENCY), throttled);

    held.release(Result.SUCCESS, -1);
    gate.acquire(0).release(Result.SUCCESS, -1); // the place it waited for is free
  }

  @Test
  void aWaitForTheBudgetEndsWhenItsThreadIsInterrupted() throws Exception {
    // The clock stands still: only the interrupt can end the minute's wait.
    AdaptiveLimit gate =
        new AdaptiveLimit(
            "p", new Limits(0, 1, 0), metrics, now::get, AdaptiveLimit.Waiter.BLOCKING);
    gate.acquire(0).release(Result.SUCCESS, -1);
    AtomicReference<Throwable> ended = new AtomicReference<>();
    Thread waiter = waitingThread(gate, 0, ended);
    awaitWaiting(gate, 1);
    waiter.interrupt();
    waiter.join();
    assertInstanceOf(InterruptedException.class, ended.get());
    assertEquals(0, gate.waiting());
  }

  @Test
  void aSmallRequestDoesNotOvertakeALargeOneWaitingForTokens() throws Exception {
    AdaptiveLimit gate =
        new AdaptiveLimit(
            "p", new Limits(0, 0, 1_000), metrics, now::get, AdaptiveLimit.Waiter.BLOCKING);
    Permit held = gate.acquire(0);
    gate.acquire(900).release(Result.SUCCESS, 900); // 100 left, and the clock stands still
    List<Long> admitted = new CopyOnWriteArrayList<>();
    Thread large = admittingThread(gate, 900, admitted);
    awaitWaiting(gate, 1);
    Thread small = admittingThread(gate, 50, admitted);
    awaitTrue(() -> gate.waiting() == 2 || !small.isAlive());
    assertEquals(2, gate.waiting(), "the small one waits, though 100 tokens are left");
    assertEquals(List.of(), admitted);

    now.addAndGet(60 * SECOND);
    held.release(Result.SUCCESS, -1); // wakes them to look at the clock
    large.join();
    small.join();
    assertEquals(2, admitted.size());
  }

  private static Thread waitingThread(
      AdaptiveLimit gate, long tokens, AtomicReference<Throwable> ended) {
    Thread t =
        new Thread(
            () -> {
              try {
                gate.acquire(tokens);
                ended.set(new AssertionError("admitted"));
              } catch (Throwable e) {
                ended.set(e);
              }
            });
    t.start();
    return t;
  }

  private static Thread admittingThread(AdaptiveLimit gate, long tokens, List<Long> admitted) {
    Thread t =
        new Thread(
            () -> {
              try {
                gate.acquire(tokens).release(Result.SUCCESS, tokens);
                admitted.add(tokens);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    t.start();
    return t;
  }

  private static void awaitWaiting(AdaptiveLimit gate, int n) throws InterruptedException {
    awaitTrue(() -> gate.waiting() >= n);
  }

  /** Waits for what another thread does; the generous bound turns a hang into a failure. */
  static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("another thread never got there");
      }
      Thread.sleep(1);
    }
  }
}
