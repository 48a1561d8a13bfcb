package io.finetune.activities.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.eval.JudgeActivitiesImpl;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.provider.RetryPolicy;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.rollout.RolloutActivities;
import io.finetune.workflows.rollout.RolloutActivities.OnlineJudgeRequest;
import io.finetune.workflows.rollout.RolloutActivities.OnlineJudgment;
import io.temporal.activity.ActivityOptions;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The online eval: a seeded share of the canary's stored traces is answered again by the stable
 * version and both answers go to the judge in both orders; a judge that prefers the stable
 * version's answers whatever their position makes every judged pair a loss for the canary.
 */
class OnlineJudgeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final List<String> stableAsked = new CopyOnWriteArrayList<>();
  private MockWebServer provider;
  private TestActivityEnvironment env;

  @AfterEach
  void tearDown() throws Exception {
    env.close();
    provider.shutdown();
    pool.shutdownNow();
  }

  @Test
  void theJudgeComparesASeededShareOfTheCanaryWithTheStableVersion() throws Exception {
    provider = new MockWebServer();
    provider.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            try {
              JsonNode body = JSON.readTree(request.getBody().readUtf8());
              JsonNode messages = body.get("messages");
              String user = messages.get(messages.size() - 1).get("content").asText();
              String reply;
              if (body.get("model").asText().equals("ft:stable")) {
                stableAsked.add(user);
                reply = "a careful answer";
              } else {
                // The judge: whichever answer is the careful one, wherever it is shown.
                reply =
                    user.indexOf("a careful answer") < user.indexOf("a sloppy answer") ? "A" : "B";
              }
              return new MockResponse()
                  .setHeader("Content-Type", "application/json")
                  .setBody(
                      JSON.createObjectNode()
                          .set(
                              "choices",
                              JSON.createArrayNode()
                                  .add(
                                      JSON.createObjectNode()
                                          .set(
                                              "message",
                                              JSON.createObjectNode()
                                                  .put("role", "assistant")
                                                  .put("content", reply))))
                          .toString());
            } catch (Exception e) {
              return new MockResponse().setResponseCode(400);
            }
          }
        });
    provider.start();
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:online-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    DataSource db = h2;
    Flyway.configure().dataSource(db).locations("classpath:db/migration").load().migrate();
    RegistryActivitiesImpl registry = new RegistryActivitiesImpl(db);
    for (String model : List.of("ft:stable", "ft:canary")) {
      registry.promote(
          new PromoteRequest(
              "triage",
              "run-" + model,
              model,
              "p",
              "small",
              Map.of(),
              null,
              new DatasetRef("train", "/d.jsonl", "abc", 10, 10),
              "alice",
              model.equals("ft:stable")));
    }
    try (Connection c = db.getConnection();
        PreparedStatement t =
            c.prepareStatement(
                "INSERT INTO traces (id, created_at, model_name, model_version, provider_model,"
                    + " input, output, latency_ms, status) VALUES (?, 1500, 'triage', ?, 'm', ?,"
                    + " ?, 1, 'ok')")) {
      for (int i = 0; i < 60; i++) {
        t.setString(1, "t" + i);
        t.setInt(2, i < 40 ? 2 : 1); // 40 canary traces, 20 of the stable version
        t.setString(3, "[{\"role\":\"user\",\"content\":\"question " + i + "\"}]");
        t.setString(4, "a sloppy answer");
        t.executeUpdate();
      }
    }
    Providers providers =
        new Providers(
            List.of(
                new ProviderConfig(
                    "p", provider.url("/v1").toString(), "", 100, RetryPolicy.NONE)));
    RolloutActivitiesImpl impl =
        new RolloutActivitiesImpl(
            db,
            registry,
            providers,
            new JudgeActivitiesImpl(new ArtifactStore(dir), providers, pool));
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(impl);
    RolloutActivities activities =
        env.newActivityStub(
            RolloutActivities.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(1)).build());
    OnlineJudgeRequest request =
        new OnlineJudgeRequest("k", "triage", 2, 1, 1000, 2000, 0.5, "p", "judge", "Care.", 100, 7);

    OnlineJudgment j = activities.judgeCanary(request);

    assertTrue(j.sampled() > 10 && j.sampled() < 30, "about half of 40: " + j);
    assertEquals(j.sampled(), j.losses(), "the judge preferred the stable version each time: " + j);
    assertEquals(j.sampled(), stableAsked.size(), "the stable version answered each sampled input");
    assertTrue(
        stableAsked.stream().allMatch(q -> q.startsWith("question ")), stableAsked.toString());
    // The same seed samples the same traces.
    stableAsked.clear();
    assertEquals(j, activities.judgeCanary(request));
  }
}
