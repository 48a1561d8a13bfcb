package io.finetune.activities.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.provider.ProviderConfig.Limits;
import io.finetune.activities.provider.ProviderMetrics.Throttle;
import io.finetune.workflows.common.Failures;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every request of a provider's client passes its gate (see {@link AdaptiveLimitTest}). */
@Timeout(30)
class ProviderClientLimitTest {
  private static final String ANSWER =
      "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}]}";
  private static final RetryPolicy QUICK_RETRIES =
      new RetryPolicy(Duration.ofSeconds(30), Duration.ofMillis(10), Duration.ofMillis(100));

  private final List<Throttle> throttled = new CopyOnWriteArrayList<>();
  private final AtomicReference<IntSupplier> limit = new AtomicReference<>();
  private final ProviderMetrics metrics =
      new ProviderMetrics() {
        @Override
        public void record(Exchange exchange) {}

        @Override
        public void concurrencyLimit(String provider, IntSupplier current) {
          limit.set(current);
        }

        @Override
        public void throttled(String provider, Throttle reason) {
          throttled.add(reason);
        }
      };

  private MockWebServer server;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.shutdown();
  }

  private ProviderClient client(Limits limits) {
    ProviderConfig config =
        new ProviderConfig("p", server.url("/v1").toString(), "k", 100, QUICK_RETRIES)
            .withLimits(limits);
    return new Providers(List.of(config), metrics).client("p");
  }

  @Test
  void eightThreadsLearnWhatAProviderServingThreeAtOnceTakes() throws Exception {
    int capacity = 3;
    AtomicInteger busy = new AtomicInteger();
    List<Integer> statuses = new CopyOnWriteArrayList<>();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
            try {
              if (busy.incrementAndGet() > capacity) {
                statuses.add(429);
                return new MockResponse()
                    .setResponseCode(429)
                    .setHeader("x-ratelimit-reset-requests", "5ms")
                    .setBody("{\"error\":{\"message\":\"too many requests in flight\"}}");
              }
              Thread.sleep(10); // long enough for requests to overlap
              statuses.add(200);
              return new MockResponse().setBody(ANSWER);
            } finally {
              busy.decrementAndGet();
            }
          }
        });
    ProviderClient client = client(Limits.NONE);

    int threads = 8;
    int each = 20;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    for (int t = 0; t < threads; t++) {
      Thread worker =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < each; i++) {
                    assertEquals("hi", client.chat("m", "", "u"));
                  }
                } catch (Throwable e) {
                  failed.compareAndSet(null, e);
                }
              });
      worker.start();
      workers.add(worker);
    }
    start.countDown();
    for (Thread worker : workers) {
      worker.join();
    }
    assertNull(failed.get());

    // Unchecked, 5 of the 8 would be turned away again and again: most answers would be 429s.
    List<Integer> later = statuses.subList(statuses.size() / 2, statuses.size());
    long rejected = statuses.stream().filter(s -> s == 429).count();
    long rejectedLater = later.stream().filter(s -> s == 429).count();
    assertEquals((long) threads * each, statuses.size() - rejected, "every chat was answered once");
    assertTrue(rejected > 0, "the provider was overloaded at first");
    assertTrue(
        rejectedLater * 4 < later.size(),
        "fewer than a quarter of the later answers are 429s: " + rejectedLater + " of " + later);

    // The limit itself saw-tooths around the capacity (AIMD); where it stands at the end depends
    // on how busy this machine was, so the share of 429s above is what is checked.
    assertTrue(limit.get().getAsInt() >= 1, "limit " + limit.get().getAsInt());
    assertTrue(throttled.contains(Throttle.CONCURRENCY));
  }

  @Test
  void theUsageAnAnswerReportsIsChargedToTheTokenBudgetAndAWaitCanBeCancelled() throws Exception {
    server.enqueue(
        new MockResponse()
            .setBody(ANSWER.replaceFirst("}$", ",\"usage\":{\"total_tokens\":5000}}")));
    server.enqueue(new MockResponse().setBody(ANSWER)); // for a client that would not wait
    ProviderClient client = client(new Limits(0, 0, 1_000));
    assertEquals("hi", client.chat("m", "", "a short prompt")); // reserves some 20 tokens
    assertTrue(throttled.isEmpty());

    // The answer said 5000: the budget is minutes in debt, so the next chat waits.
    AtomicReference<Throwable> ended = new AtomicReference<>();
    Thread waiting =
        new Thread(
            () -> {
              try {
                client.chat("m", "", "another");
              } catch (Throwable e) {
                ended.set(e);
              }
            });
    waiting.start();
    AdaptiveLimitTest.awaitTrue(() -> !throttled.isEmpty() || !waiting.isAlive());
    assertEquals(List.of(Throttle.TOKENS), throttled);
    waiting.interrupt(); // as an eval that is cancelled does
    waiting.join();
    ApplicationFailure f = (ApplicationFailure) ended.get();
    assertEquals(Failures.PROVIDER_UNAVAILABLE, f.getType());
    assertTrue(f.getOriginalMessage().contains("cancelled while waiting its turn"), f.toString());
    assertEquals(1, server.getRequestCount(), "it was never sent");
  }
}
