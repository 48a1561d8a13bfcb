package io.finetune.activities.eval;

import io.temporal.activity.ActivityExecutionContext;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting on provider requests from inside an activity. */
final class Heartbeating {
  private Heartbeating() {}

  /**
   * The request's result, heartbeating {@code progress} every second while it waits: that keeps the
   * activity alive and is how a cancellation of it reaches the wait.
   */
  static <T> T await(ActivityExecutionContext ctx, Future<T> f, Object progress) {
    while (true) {
      try {
        return f.get(1, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        ctx.heartbeat(progress);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(e.getCause());
      }
    }
  }
}
