package io.finetune.activities.provider;

import java.util.HashSet;
import java.util.Set;
import okhttp3.Call;

/**
 * Provider calls that are given up together, such as the requests of one eval batch. A blocking
 * OkHttp call does not notice its thread being interrupted, so {@link #cancel()} aborts the calls
 * in flight itself, and refuses any call made in the scope afterwards.
 */
public final class CallScope {
  private final Set<Call> inFlight = new HashSet<>();
  private boolean cancelled;

  /** Aborts every call in flight in this scope; later calls in it fail at once, unsent. */
  public synchronized void cancel() {
    cancelled = true;
    inFlight.forEach(Call::cancel);
    inFlight.clear();
  }

  synchronized void enter(Call call) {
    if (cancelled) {
      call.cancel();
    } else {
      inFlight.add(call);
    }
  }

  synchronized void exit(Call call) {
    inFlight.remove(call);
  }
}
