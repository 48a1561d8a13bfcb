package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.provider.RetryPolicy;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.eval.JudgeActivities;
import io.finetune.workflows.eval.JudgeActivities.JudgeRequest;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A judge activity that fails part way resumes after its last heartbeat instead of re-asking. */
class JudgeResumeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ROWS = 40;

  @TempDir Path dir;
  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private MockWebServer server;
  private TestWorkflowEnvironment env;

  @AfterEach
  void tearDown() throws Exception {
    if (env != null) {
      env.close();
    }
    if (server != null) {
      server.shutdown();
    }
    pool.shutdownNow();
  }

  /** A judge that prefers answer A, and fails the first time it is asked about row 20. */
  private String startJudge() throws Exception {
    AtomicBoolean failed = new AtomicBoolean();
    server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            try {
              JsonNode messages = JSON.readTree(request.getBody().readUtf8()).get("messages");
              String user = messages.get(messages.size() - 1).get("content").asText();
              asked.add(user);
              if (user.contains("ticket 20 ") && failed.compareAndSet(false, true)) {
                return new MockResponse().setResponseCode(500);
              }
              return new MockResponse()
                  .setHeader("Content-Type", "application/json")
                  .setBody(
                      "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":"
                          + "\"A\\nit comes first\"}}],"
                          + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}");
            } catch (Exception e) {
              return new MockResponse().setResponseCode(400);
            }
          }
        });
    server.start();
    return server.url("/v1").toString();
  }

  private static ArtifactRef predictions(ArtifactStore store, String answer) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      lines.add(
          JSON.createObjectNode()
              .put("input", "ticket " + i + " about my invoice")
              .put("answer", answer + " " + i)
              .toString());
    }
    return store.writeLines("predictions", "jsonl", lines);
  }

  @Test
  void aRetryResumesAfterTheLastJudgedBatch() throws Exception {
    ArtifactStore store = new ArtifactStore(dir);
    JudgeActivitiesImpl impl =
        new JudgeActivitiesImpl(
            store,
            new Providers(
                List.of(new ProviderConfig("p", startJudge(), "", 100, RetryPolicy.NONE))),
            pool);
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    Worker worker = env.newWorker("judge");
    worker.registerWorkflowImplementationTypes(JudgeWorkflowImpl.class);
    worker.registerActivitiesImplementations(impl);
    env.start();
    JudgeRequest request =
        new JudgeRequest(
            "p",
            "judge-model",
            "The right category.",
            new DatasetRef("test", "/unused", "sha", ROWS, ROWS),
            "ft:small:1",
            "small",
            predictions(store, "candidate"),
            "large",
            predictions(store, "baseline"),
            7,
            ROWS);

    JudgeResult r =
        env.getWorkflowClient()
            .newWorkflowStub(
                JudgeWorkflow.class,
                WorkflowOptions.newBuilder().setWorkflowId("judge").setTaskQueue("judge").build())
            .run(request);

    // Rows 0-15 (the first batch) were judged and vouched for before row 20 failed: asked once
    // in each order, never again. Every pair ends up judged, and the judge always says A: ties.
    for (int i = 0; i < 16; i++) {
      String row = "ticket " + i + " ";
      assertEquals(2, asked.stream().filter(u -> u.contains(row)).count(), row);
    }
    assertEquals(ROWS, r.pairs());
    assertEquals(ROWS, r.ties());
    assertEquals(ROWS, r.flipped());
    try (Stream<Path> left = Files.list(dir.resolve("work"))) {
      assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("judge-")));
    }
  }

  @WorkflowInterface
  public interface JudgeWorkflow {
    @WorkflowMethod
    JudgeResult run(JudgeRequest request);
  }

  public static class JudgeWorkflowImpl implements JudgeWorkflow {
    @Override
    public JudgeResult run(JudgeRequest request) {
      ActivityOptions options =
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(1))
              .setHeartbeatTimeout(Duration.ofSeconds(10))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(100))
                      .setMaximumAttempts(3)
                      .build())
              .build();
      return Workflow.newActivityStub(JudgeActivities.class, options).judge(request);
    }
  }
}
