package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.provider.RetryPolicy;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.RunComparison;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestActivityEnvironment;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntPredicate;
import javax.sql.DataSource;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run over run on a real database (H2, migrated by the worker's Flyway scripts; PostgreSQL in
 * {@link RunOverRunOnPostgresTest} when CI provides one) and real evals against a scripted
 * provider: which rows a model gets right is set per run, so the comparison's counts, interval and
 * changed rows can be checked exactly.
 */
class RunOverRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private MockWebServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private TestActivityEnvironment env;
  private TestWorkflowEnvironment workflowEnv;
  private ArtifactStore store;
  private DataSource db;
  private EvalActivitiesImpl impl;
  private EvalActivities activities;

  /** Which rows (by the number in their input) the model answers right in the current run. */
  private volatile IntPredicate right = n -> true;

  @BeforeEach
  void setUp() throws Exception {
    server = new MockWebServer();
    server.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            try {
              JsonNode messages = JSON.readTree(request.getBody().readUtf8()).get("messages");
              String user = messages.get(messages.size() - 1).get("content").asText();
              int n = Integer.parseInt(user.substring(user.lastIndexOf(' ') + 1));
              String category = right.test(n) ? expected(n) : "shipping";
              var body = JSON.createObjectNode();
              body.putArray("choices")
                  .addObject()
                  .putObject("message")
                  .put("role", "assistant")
                  .put("content", "{\"category\":\"" + category + "\"}");
              return new MockResponse().setBody(body.toString());
            } catch (Exception e) {
              return new MockResponse().setResponseCode(500);
            }
          }
        });
    server.start();
    store = new ArtifactStore(dir.resolve("store"));
    db = migratedDatabase();
    impl =
        new EvalActivitiesImpl(
            store,
            new Providers(
                List.of(
                    new ProviderConfig(
                        "p", server.url("/v1").toString(), "", 100, RetryPolicy.NONE))),
            pool,
            db);
    // Each call of the activity environment is an activity of a new workflow run.
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(impl);
    activities =
        env.newActivityStub(
            EvalActivities.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(1)).build());
  }

  /** A fresh database with the worker's migrations: H2 here, PostgreSQL in a subclass. */
  DataSource migratedDatabase() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:run-over-run-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("classpath:db/migration").load().migrate();
    return h2;
  }

  @AfterEach
  void tearDown() throws Exception {
    env.close();
    if (workflowEnv != null) {
      workflowEnv.close();
    }
    server.shutdown();
    pool.shutdownNow();
  }

  private static String expected(int n) {
    return n % 2 == 0 ? "billing" : "account";
  }

  /** 40 labeled rows, "ticket 0" to "ticket 39", and one unlabeled row (never scored). */
  private DatasetRef data(String name, String prefix) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      rows.add(new Row(prefix + " " + i, JSON.createObjectNode().put("category", expected(i))));
    }
    rows.add(new Row(prefix + " 40", null));
    return Rows.write(store, name, rows);
  }

  private static EvalRequest request(DatasetRef d, String prompt, String label) {
    return new EvalRequest("p", "m", prompt, d, List.of("category"))
        .comparedWith("exact_match", null, null)
        .trackedAs("triage", label);
  }

  private int recordedEvals() throws Exception {
    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM eval_runs")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aSecondRunOnTheSameSetComparesRowByRow() throws Exception {
    DatasetRef test = data("test", "ticket");
    right = n -> n < 20; // 20 of 40
    EvalResult first = activities.evaluate(request(test, "prompt v1", "m"));
    assertNull(first.previousRun(), "nothing ran before");
    assertEquals(0.5, first.metrics().get("exact_match"), 1e-9);

    right = n -> n >= 2; // 38 of 40: rows 0 and 1 broke, rows 20 to 39 were fixed
    EvalResult second = activities.evaluate(request(test, "prompt v1", "m"));

    RunComparison c = second.previousRun();
    assertNotNull(c);
    assertEquals("test-workflow-id", c.previousWorkflowId());
    assertEquals("m", c.previousModel());
    assertFalse(c.promptChanged());
    assertEquals("exact_match", c.metric());
    assertEquals(40, c.rows(), "the scored rows; the unlabeled one is not compared");
    assertEquals(0.5, c.previousScore(), 1e-9);
    assertEquals(0.95, c.score(), 1e-9);
    assertEquals(0.45, c.change(), 1e-9);
    assertTrue(c.lo() > 0.2 && c.lo() < 0.45 && c.hi() > 0.45 && c.hi() <= 0.7, c.toString());
    assertTrue(c.tellsApart(), c.toString());
    assertEquals(2, c.rightToWrong());
    assertEquals(20, c.wrongToRight());

    List<String> lines = Files.readAllLines(Path.of(c.changedRows().path()));
    assertEquals(22, lines.size());
    JsonNode broke = JSON.readTree(lines.get(0));
    assertEquals("right->wrong", broke.get("change").asText());
    assertEquals(0, broke.get("row").asInt());
    assertEquals("ticket 0", broke.get("input").asText());
    assertEquals("billing", broke.at("/expected/category").asText());
    assertEquals("{\"category\":\"billing\"}", broke.get("previousAnswer").asText());
    assertEquals("{\"category\":\"shipping\"}", broke.get("answer").asText());
    assertEquals("wrong->right", JSON.readTree(lines.get(2)).get("change").asText());
    assertEquals(20, JSON.readTree(lines.get(2)).get("row").asInt());

    // The same predictions compared again give the same interval: the seed is the data's hash.
    right = n -> n >= 2;
    RunComparison third = activities.evaluate(request(test, "prompt v2", "m")).previousRun();
    assertEquals(0.95, third.previousScore(), 1e-9, "the latest earlier run, not the first");
    assertEquals(0, third.rightToWrong() + third.wrongToRight());
    assertNull(third.changedRows(), "no row changed: nothing to list");
    assertFalse(third.tellsApart(), "no change is no evidence of one");
    assertTrue(third.promptChanged());
    assertEquals(3, recordedEvals());
  }

  @Test
  void aChangeWithinTheNoiseOfTheSetIsSaidToBeSo() {
    DatasetRef test = data("test", "ticket");
    right = n -> n < 20;
    activities.evaluate(request(test, "p", "m"));
    right = n -> n < 18 || n == 25 || n == 30 || n == 35; // two rows broke, three were fixed

    RunComparison c = activities.evaluate(request(test, "p", "m")).previousRun();

    assertEquals(0.025, c.change(), 1e-9);
    assertEquals(2, c.rightToWrong());
    assertEquals(3, c.wrongToRight());
    assertTrue(c.lo() < 0 && c.hi() > 0, c.toString());
    assertFalse(c.tellsApart());
  }

  @Test
  void anotherSetAnotherLabelOrAnUntrackedEvalIsNotCompared() throws Exception {
    DatasetRef test = data("test", "ticket");
    activities.evaluate(request(test, "p", "m"));

    DatasetRef other = data("test", "case"); // same name, other rows: another hash
    assertNull(activities.evaluate(request(other, "p", "m")).previousRun());
    assertNull(activities.evaluate(request(test, "p", "candidate small")).previousRun());
    assertNull(
        activities
            .evaluate(
                new EvalRequest("p", "m", "p", test, List.of("category"))
                    .trackedAs("another-spec", "m"))
            .previousRun());
    EvalResult untracked =
        activities.evaluate(new EvalRequest("p", "m", "p", test, List.of("category")));
    assertNull(untracked.previousRun());
    assertEquals(4, recordedEvals(), "the untracked eval is not recorded");
    // Each one is a previous run for the next of its kind.
    assertNotNull(activities.evaluate(request(other, "p", "m")).previousRun());
  }

  @Test
  void aRetryOfTheSameRunRecordsOnceAndNeverComparesWithItself() throws Exception {
    DatasetRef test = data("test", "ticket");
    right = n -> n < 20;
    EvalResult first = activities.evaluate(request(test, "p", "m"));
    RunOverRun runs = new RunOverRun(db, store);
    EvalRequest r = request(test, "p", "m");

    // Run 2 and a retry of it (same workflow id and run id): one row, compared with run 1 each
    // time.
    RunComparison attempt1 =
        runs.recordAndCompare(r, "wf", "run-2", first.predictions(), first.metrics());
    RunComparison attempt2 =
        runs.recordAndCompare(r, "wf", "run-2", first.predictions(), first.metrics());
    assertEquals(2, recordedEvals());
    assertEquals("test-workflow-id", attempt1.previousWorkflowId());
    assertEquals(attempt1, attempt2);

    // Run 3 records after it; a late retry of run 2 still compares with what came before it.
    runs.recordAndCompare(r, "wf", "run-3", first.predictions(), first.metrics());
    RunComparison late =
        runs.recordAndCompare(r, "wf", "run-2", first.predictions(), first.metrics());
    assertEquals(attempt1, late);
    assertEquals(3, recordedEvals());
    assertEquals(
        "run-2",
        runs.recordAndCompare(r, "wf", "run-3", first.predictions(), first.metrics())
            .previousRunId());
  }

  @Test
  void evalsOfOneWorkflowRunAreNeverComparedWithEachOther() throws Exception {
    DatasetRef test = data("test", "ticket");
    workflowEnv = TestWorkflowEnvironment.newInstance();
    Worker worker = workflowEnv.newWorker("eval");
    worker.registerWorkflowImplementationTypes(TwiceImpl.class);
    worker.registerActivitiesImplementations(impl);
    workflowEnv.start();
    WorkflowClient client = workflowEnv.getWorkflowClient();
    Twice twice =
        client.newWorkflowStub(
            Twice.class,
            WorkflowOptions.newBuilder().setWorkflowId("twice").setTaskQueue("eval").build());

    List<EvalResult> both = twice.run(request(test, "p", "m"));

    assertNull(both.get(0).previousRun());
    assertNull(both.get(1).previousRun(), "the same run's own eval is not a previous run");
    assertEquals(1, recordedEvals());
    // A new run of the same workflow id is another run.
    Twice again =
        client.newWorkflowStub(
            Twice.class,
            WorkflowOptions.newBuilder().setWorkflowId("twice").setTaskQueue("eval").build());
    RunComparison c = again.run(request(test, "p", "m")).get(0).previousRun();
    assertEquals("twice", c.previousWorkflowId());
    assertEquals(2, recordedEvals());
  }

  @Test
  void aPreviousRunWhosePredictionsAreGoneIsSkippedForAnOlderOne() throws Exception {
    DatasetRef test = data("test", "ticket");
    right = n -> n < 10;
    activities.evaluate(request(test, "p", "m"));
    right = n -> n < 20;
    EvalResult second = activities.evaluate(request(test, "p", "m"));
    Files.delete(Path.of(second.predictions().path()));
    right = n -> n < 30;

    RunComparison c = activities.evaluate(request(test, "p", "m")).previousRun();

    assertEquals(0.25, c.previousScore(), 1e-9, "the first run: the second's file is gone");
    assertEquals(20, c.wrongToRight());
  }

  /** Evaluates the same request twice in one workflow run. */
  @WorkflowInterface
  public interface Twice {
    @WorkflowMethod
    List<EvalResult> run(EvalRequest request);
  }

  public static class TwiceImpl implements Twice {
    @Override
    public List<EvalResult> run(EvalRequest request) {
      EvalActivities eval =
          Workflow.newActivityStub(
              EvalActivities.class,
              ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(1)).build());
      return List.of(eval.evaluate(request), eval.evaluate(request));
    }
  }
}
