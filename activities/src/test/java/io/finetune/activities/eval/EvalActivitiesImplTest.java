package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalActivitiesImplTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private MockWebServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  private TestActivityEnvironment env;
  private ArtifactStore store;
  private EvalActivities activities;

  /** The fake model answers "billing" when the text says refund, else "technical". */
  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            requests.incrementAndGet();
            String body = request.getBody().readUtf8();
            String answer =
                body.contains("refund") ? "{\\\"category\\\":\\\"billing\\\"}" : "not json";
            return new MockResponse()
                .setBody(
                    "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\""
                        + answer
                        + "\"}}]}");
          }
        });
    server.start();
    store = new ArtifactStore(dir);
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(
        new EvalActivitiesImpl(
            store,
            new Providers(List.of(new ProviderConfig("p", server.url("/v1").toString(), "", 100))),
            pool));
    activities = env.newActivityStub(EvalActivities.class);
  }

  @AfterEach
  void tearDown() throws Exception {
    env.close();
    server.shutdown();
    pool.shutdownNow();
  }

  private DatasetRef data(int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      var out = JSON.createObjectNode().put("category", i % 2 == 0 ? "billing" : "account");
      rows.add(new Row((i % 4 == 0 ? "refund " : "login ") + i, i == n - 1 ? null : out));
    }
    return Rows.write(store, "test", rows);
  }

  @Test
  void scoresEveryLabeledRowAndStoresThePredictions() throws Exception {
    DatasetRef d = data(41); // 40 labeled + 1 unlabeled
    EvalResult r = activities.evaluate(new EvalRequest("p", "m", "prompt", d, List.of("category")));

    assertEquals(41, requests.get());
    assertEquals(41, r.rows());
    assertEquals(40, r.scoredRows());
    // Rows 0,4,8,..,36 say refund and are billing: 10 of 40 right; the rest are not JSON.
    assertEquals(0.25, r.metrics().get("exact_match"), 1e-9);
    assertEquals(0.75, r.metrics().get("invalid_output_rate"), 1e-9);
    List<String> lines = Files.readAllLines(Path.of(r.predictions().path()));
    assertEquals(41, lines.size());
    assertTrue(lines.get(0).contains("\"exact\":true"));
    assertTrue(Files.list(dir.resolve("work")).findAny().isEmpty(), "work file removed");
  }

  @Test
  void aRetryResumesFromTheLastHeartbeatInsteadOfPayingAgain() throws Exception {
    DatasetRef d = data(100);
    EvalRequest request = new EvalRequest("p", "m", "prompt", d, List.of("category"));
    // A first attempt answered 64 rows (heartbeated) and half-wrote a 65th before dying.
    String key =
        ArtifactStore.sha256Hex(String.join("\n", "p", "m", "prompt", d.sha256()).getBytes());
    List<String> done = new ArrayList<>();
    List<Row> rows = Rows.read(store, d);
    for (int i = 0; i < 64; i++) {
      done.add(
          JSON.writeValueAsString(
              rows.get(i).input().startsWith("refund")
                  ? "{\"category\":\"billing\"}"
                  : "not json"));
    }
    done.add("\"{\\\"category\\\":");
    Files.write(store.workFile("eval-" + key + ".jsonl"), done);
    env.setHeartbeatDetails(64);

    EvalResult r = activities.evaluate(request);

    assertEquals(36, requests.get(), "only the rows after the heartbeat are asked again");
    assertEquals(100, r.rows());
    assertEquals(25.0 / 99, r.metrics().get("exact_match"), 1e-9);
  }
}
