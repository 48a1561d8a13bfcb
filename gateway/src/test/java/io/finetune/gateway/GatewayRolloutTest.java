package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.registry.Deployments;
import io.finetune.activities.registry.Deployments.AuditEntry;
import io.finetune.activities.rollout.RolloutActivitiesImpl;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.rollout.Rollout;
import io.finetune.workflows.rollout.RolloutActivities.Verdict;
import io.finetune.workflows.rollout.RolloutImpl;
import io.finetune.workflows.rollout.RolloutInput;
import io.finetune.workflows.rollout.RolloutOutcome;
import io.finetune.workflows.rollout.RolloutResult;
import io.finetune.workflows.spec.PipelineSpec.RolloutPolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A rollout through the real gateway and database, with the window skipped: the canary takes its
 * share of the calls, users give feedback on what they got, and the slow eval on those traces rolls
 * the canary back (users dislike it) or out (they do not).
 */
class GatewayRolloutTest {
  private static final long WINDOW = Duration.ofDays(2).toSeconds();

  MockWebServer provider;
  GatewayFixture f;
  TestWorkflowEnvironment env;

  @BeforeEach
  void setUp() throws Exception {
    provider = new MockWebServer();
    provider.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String body = request.getBody().readUtf8();
            String answer = body.contains("\"ft:new\"") ? "new answer" : "old answer";
            return new MockResponse()
                .setBody(
                    "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
                        + answer
                        + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,"
                        + "\"completion_tokens\":2}}");
          }
        });
    provider.start();
    f = new GatewayFixture(provider.url("/v1").toString(), List.of());
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(TaskQueues.FINE_TUNE);
    worker.registerWorkflowImplementationTypes(RolloutImpl.class);
    worker.registerActivitiesImplementations(
        new RolloutActivitiesImpl(f.db, f.registry, null, null));
    env.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    env.close();
    f.close();
    provider.shutdown();
  }

  private Rollout start() {
    f.promote("triage", "ft:old");
    f.promote("triage", "ft:new", false);
    Rollout rollout =
        env.getWorkflowClient()
            .newWorkflowStub(
                Rollout.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(Rollout.workflowId("triage"))
                    .setTaskQueue(TaskQueues.FINE_TUNE)
                    .build());
    WorkflowClient.start(
        rollout::run,
        new RolloutInput(
            "triage",
            2,
            1,
            new RolloutPolicy(0.3, WINDOW, 40, 0.05, RolloutPolicy.ROLLBACK, 0),
            null,
            null,
            List.of(),
            "alice"));
    return rollout;
  }

  /**
   * 300 users call the model once each; users give a thumbs down to about a {@code newDown} share
   * of the canary's answers (of the 90 it should get) and to a tenth of the stable version's.
   */
  private Map<Integer, Integer> traffic(double newDown) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (new Deployments(f.db).get("triage").canary() == null) {
      assertTrue(System.nanoTime() < deadline, "the canary never started");
      Thread.sleep(20);
    }
    Map<Integer, Integer> byVersion = new HashMap<>();
    for (int user = 0; user < 300; user++) {
      GatewayFixture.Answer a =
          f.post(
              "/v1/chat/completions",
              "{\"model\": \"triage\", \"user\": \"user-"
                  + user
                  + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}");
      assertEquals(200, a.status(), String.valueOf(a.body()));
      boolean canary = a.body().at("/choices/0/message/content").asText().equals("new answer");
      byVersion.merge(canary ? 2 : 1, 1, Integer::sum);
      int seen = byVersion.get(canary ? 2 : 1);
      boolean down = canary ? seen <= newDown * 90 : seen % 10 == 0;
      String kind = down ? "thumbs_down" : "thumbs_up";
      assertEquals(
          201,
          f.post(
                  "/v1/feedback",
                  "{\"event_id\": \"e-"
                      + user
                      + "\", \"trace_id\": \""
                      + a.traceId()
                      + "\", \"kind\": \""
                      + kind
                      + "\"}")
              .status());
    }
    f.awaitTraces();
    return byVersion;
  }

  private static RolloutResult result(Rollout rollout) {
    return WorkflowStub.fromTyped(rollout).getResult(RolloutResult.class);
  }

  @Test
  void aCanaryUsersDislikeIsRolledBack() throws Exception {
    Rollout rollout = start();
    Map<Integer, Integer> calls = traffic(0.5);

    RolloutResult r = result(rollout);

    // The split follows the share (30% of 300 users, give or take chance).
    assertTrue(calls.get(2) > 50 && calls.get(2) < 130, calls.toString());
    assertEquals(RolloutOutcome.ROLLED_BACK, r.outcome(), r.reason());
    assertEquals(Verdict.WORSE, r.slowEval().verdict());
    assertEquals(calls.get(2).longValue(), r.slowEval().canary().traces());
    assertEquals(1, f.registry.find("triage").version());
    assertEquals(1, f.registry.route("triage", 0.01).version(), "no canary after the rollback");
    List<String> audit =
        new Deployments(f.db).audit("triage", 10).stream().map(AuditEntry::action).toList();
    assertEquals(List.of("promoted", "canary", "slow-eval", "rolled-back"), audit);
  }

  @Test
  void aCanaryUsersLikeAsMuchRollsOut() throws Exception {
    Rollout rollout = start();
    traffic(0.1);

    RolloutResult r = result(rollout);

    assertEquals(RolloutOutcome.ROLLED_OUT, r.outcome(), r.reason());
    assertEquals(2, f.registry.find("triage").version());
    assertEquals(2, f.registry.route("triage", 0.99).version());
  }
}
