package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ChatMessage;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.provider.RetryPolicy;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.Evals;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
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
  private static final int POOL_SIZE = 4;
  @TempDir Path dir;
  private MockWebServer server;

  /** The user message of every request the provider received, in order. */
  private final List<String> requests = new CopyOnWriteArrayList<>();

  /** The messages of every request, by its last (user) message. */
  private final Map<String, JsonNode> sentMessages = new ConcurrentHashMap<>();

  /** How the fake provider answers a user message; by default it echoes it at once. */
  private volatile Function<String, MockResponse> answer = EvalActivitiesImplTest::echo;

  /** Holds back the slow answers of a test until it ends. */
  private final CountDownLatch release = new CountDownLatch(1);

  private final ExecutorService pool = Executors.newFixedThreadPool(POOL_SIZE);
  private TestActivityEnvironment env;
  private TestWorkflowEnvironment workflowEnv;
  private ArtifactStore store;
  private EvalActivitiesImpl impl;
  private EvalActivities activities;

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
              requests.add(user);
              sentMessages.put(user, messages);
              return answer.apply(user);
            } catch (Exception e) {
              return new MockResponse().setResponseCode(500);
            }
          }
        });
    server.start();
    store = new ArtifactStore(dir);
    impl =
        new EvalActivitiesImpl(
            store,
            new Providers(
                List.of(
                    new ProviderConfig("p", server.url("/v1").toString(), "", 100, RetryPolicy.NONE)
                        .withPrices(List.of(new ProviderConfig.Price("m", 1.0, 4.0, 0))))),
            pool);
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(impl);
    activities =
        env.newActivityStub(
            EvalActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(1))
                .setHeartbeatTimeout(Duration.ofSeconds(2))
                .build());
  }

  @AfterEach
  void tearDown() throws Exception {
    release.countDown();
    env.close();
    if (workflowEnv != null) {
      workflowEnv.close();
    }
    server.shutdown();
    pool.shutdownNow();
  }

  @Test
  void aTextTaskSendsAChatRowsContextAndScoresTextPerRow() throws Exception {
    answer = EvalActivitiesImplTest::chatAnswer; // answers with the user's text itself
    List<ChatMessage> context =
        List.of(
            ChatMessage.system("Row's own system"),
            ChatMessage.user("Hi"),
            new ChatMessage("assistant", "Hello!"));
    DatasetRef d =
        Rows.write(
            store,
            "test",
            List.of(
                new Row("Reset it.", TextNode.valueOf("reset it"), context),
                new Row("Where is my refund?", TextNode.valueOf("Within five days."))));

    EvalResult r =
        activities.evaluate(
            new EvalRequest("p", "m", "prompt", d, List.of())
                .forTask("text")
                .comparedWith(Scores.TEXT_EXACT_MATCH, null, null));

    assertEquals(
        "[{\"role\":\"system\",\"content\":\"Row's own system\"},"
            + "{\"role\":\"user\",\"content\":\"Hi\"},"
            + "{\"role\":\"assistant\",\"content\":\"Hello!\"},"
            + "{\"role\":\"user\",\"content\":\"Reset it.\"}]",
        sentMessages.get("Reset it.").toString());
    assertEquals(
        "[{\"role\":\"system\",\"content\":\"prompt\"},"
            + "{\"role\":\"user\",\"content\":\"Where is my refund?\"}]",
        sentMessages.get("Where is my refund?").toString());
    assertEquals(0.5, r.metrics().get(Scores.TEXT_EXACT_MATCH));
    assertTrue(r.metrics().get(Scores.CHRF) > 0 && r.metrics().get(Scores.CHRF) < 1);
    assertEquals(2, r.scoredRows());
    assertEquals(null, r.labelReport());
    List<String> lines = Files.readAllLines(Path.of(r.predictions().path()));
    JsonNode first = JSON.readTree(lines.get(0));
    assertEquals("reset it", first.get("expected").asText());
    assertTrue(first.get("exact").asBoolean());
    // Normalized, the texts are equal; chrF keeps case and punctuation.
    double chrf = first.get("chrf").asDouble();
    assertTrue(chrf > 0.5 && chrf < 1, "chrF " + chrf);
    assertTrue(!JSON.readTree(lines.get(1)).get("exact").asBoolean());
    assertEquals(Scores.TEXT_EXACT_MATCH, r.intervals().metric());
    assertEquals(2, r.intervals().rows());
  }

  @Test
  void aCorrectedTestSetReusesTheEarlierAnswersAndAsksOnlyForNewRows() throws Exception {
    DatasetRef before =
        Rows.write(
            store,
            "test",
            List.of(
                new Row("a", JSON.createObjectNode().put("category", "x")),
                new Row("b", JSON.createObjectNode().put("category", "y"))));
    EvalResult first =
        activities.evaluate(new EvalRequest("p", "m", "prompt", before, List.of("category")));
    assertEquals(List.of("a", "b"), requests.stream().sorted().toList());

    // Row b relabeled, row c new to the test set: only c is asked; b is scored on its new label.
    DatasetRef after =
        Rows.write(
            store,
            "test",
            List.of(
                new Row("a", JSON.createObjectNode().put("category", "x")),
                new Row("b", JSON.createObjectNode().put("category", "echo:b")),
                new Row("c", JSON.createObjectNode().put("category", "z"))));
    answer = user -> chatAnswer("{\"category\": \"echo:" + user + "\"}");
    EvalResult second =
        activities.evaluate(
            new EvalRequest("p", "m", "prompt", after, List.of("category"))
                .reusingAnswers(first.predictions()));

    assertEquals(
        List.of("a", "b", "c"), requests.stream().sorted().toList(), "a and b answered once only");
    List<String> lines = Files.readAllLines(Path.of(second.predictions().path()));
    assertEquals("echo:a", JSON.readTree(lines.get(0)).get("answer").asText());
    assertEquals("{\"category\": \"echo:c\"}", JSON.readTree(lines.get(2)).get("answer").asText());
    assertEquals(3, second.rows());
  }

  private static boolean emptyFolder(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.findAny().isEmpty();
    }
  }

  private static MockResponse echo(String user) {
    return chatAnswer("echo:" + user);
  }

  private static MockResponse chatAnswer(String content) {
    var body = JSON.createObjectNode();
    body.putArray("choices")
        .addObject()
        .putObject("message")
        .put("role", "assistant")
        .put("content", content);
    return new MockResponse().setBody(body.toString());
  }

  private MockResponse slowEcho(String user) {
    try {
      release.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return echo(user);
  }

  private DatasetRef data(int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      var out = JSON.createObjectNode().put("category", i % 2 == 0 ? "billing" : "account");
      rows.add(new Row((i % 4 == 0 ? "refund " : "login ") + i, i == n - 1 ? null : out));
    }
    return Rows.write(store, "test", rows);
  }

  private static EvalRequest request(DatasetRef d) {
    return new EvalRequest("p", "m", "prompt", d, List.of("category"));
  }

  /** Every row has its own answer, in order: nothing lost, doubled or shifted. */
  private static void assertCompletePredictions(DatasetRef d, EvalResult r) throws Exception {
    List<String> lines = Files.readAllLines(Path.of(r.predictions().path()));
    assertEquals(d.rows(), lines.size());
    for (int i = 0; i < lines.size(); i++) {
      JsonNode line = JSON.readTree(lines.get(i));
      assertEquals("echo:" + line.get("input").asText(), line.get("answer").asText(), "row " + i);
    }
  }

  /** Every thread of the pool is free again: the requests in flight were really aborted. */
  private void assertInferencePoolIsFree() throws Exception {
    // Each probe waits for the others, so they all finish only on as many threads at once.
    CountDownLatch running = new CountDownLatch(POOL_SIZE);
    List<CompletableFuture<Void>> probes = new ArrayList<>();
    for (int i = 0; i < POOL_SIZE; i++) {
      probes.add(
          CompletableFuture.runAsync(
              () -> {
                running.countDown();
                try {
                  running.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              pool));
    }
    assertTrue(running.await(5, TimeUnit.SECONDS), "pool threads still busy");
    CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
  }

  @Test
  void scoresEveryLabeledRowAndStoresThePredictions() throws Exception {
    // The fake model answers "billing" when the text says refund; the rest is not JSON.
    answer =
        user -> chatAnswer(user.contains("refund") ? "{\"category\":\"billing\"}" : "not json");
    DatasetRef d = data(41); // 40 labeled + 1 unlabeled
    EvalResult r = activities.evaluate(request(d));

    assertEquals(41, requests.size());
    assertEquals(41, r.rows());
    assertEquals(40, r.scoredRows());
    // Rows 0,4,8,..,36 say refund and are billing: 10 of 40 right; the rest are not JSON.
    assertEquals(0.25, r.metrics().get("exact_match"), 1e-9);
    assertEquals(0.75, r.metrics().get("invalid_output_rate"), 1e-9);
    // All 11 refund rows answer JSON, the unlabeled row 40 among them: validity needs no label.
    assertEquals(11.0 / 41, r.metrics().get("json_valid"), 1e-9);
    // billing: P 1, R 10/20, F1 2/3; account: never predicted, F1 0.
    assertEquals(1.0 / 3, r.metrics().get("macro_f1:category"), 1e-9);
    List<String> lines = Files.readAllLines(Path.of(r.predictions().path()));
    assertEquals(41, lines.size());
    assertTrue(lines.get(0).contains("\"exact\":true"));
    JsonNode billing =
        JSON
            .readTree(Path.of(r.labelReport().path()).toFile())
            .at("/fields/category/labels")
            .findParents("label")
            .stream()
            .filter(l -> l.get("label").asText().equals("billing"))
            .findFirst()
            .orElseThrow();
    assertEquals(20, billing.get("support").asInt());
    assertEquals(0.5, billing.get("recall").asDouble(), 1e-9);
    assertTrue(emptyFolder(dir.resolve("work")), "work file removed");
  }

  @Test
  void measuresLatencyAndTokensAndPricesThemByTheProvidersTable() throws Exception {
    // A quarter of the rows (the refund ones) take 40 ms; every answer reports its tokens.
    answer =
        user -> {
          var body = JSON.createObjectNode();
          body.putArray("choices")
              .addObject()
              .putObject("message")
              .put("role", "assistant")
              .put("content", "{\"category\":\"billing\"}");
          body.putObject("usage").put("prompt_tokens", 12).put("completion_tokens", 3);
          MockResponse r = new MockResponse().setBody(body.toString());
          return user.contains("refund") ? r.setHeadersDelay(40, TimeUnit.MILLISECONDS) : r;
        };
    DatasetRef d = data(40);

    EvalActivities.Usage usage = activities.evaluate(request(d)).usage();

    assertEquals(40, usage.requests());
    assertEquals(40 * 12, usage.inputTokens());
    assertEquals(40 * 3, usage.outputTokens());
    // 12 input tokens at $1/1M and 3 output tokens at $4/1M: $0.000024 a request.
    assertEquals(0.024, usage.costPer1kRequests(), 1e-12);
    assertTrue(usage.latencyP95Millis() >= 40, "p95 is a slow answer: " + usage);
    assertTrue(usage.latencyP50Millis() < usage.latencyP95Millis(), "p50 a fast one: " + usage);
  }

  @Test
  void aPairedEvalComparesRowByRowWithAnIntervalOnEach() {
    // The reference is right on the refund rows only (10 of 40); this model on every row.
    answer =
        user -> {
          int n = Integer.parseInt(user.substring(user.indexOf(' ') + 1));
          String right = "{\"category\":\"" + (n % 2 == 0 ? "billing" : "account") + "\"}";
          return chatAnswer(requests.size() > 41 || user.contains("refund") ? right : "not json");
        };
    DatasetRef d = data(41);
    EvalResult reference = activities.evaluate(request(d).comparedWith("exact_match", null, null));
    EvalResult model =
        activities.evaluate(
            request(d).comparedWith("exact_match", reference.predictions(), "reference"));

    assertEquals(0.25, reference.metrics().get("exact_match"), 1e-9);
    assertEquals(1.0, model.metrics().get("exact_match"), 1e-9);
    EvalActivities.Intervals i = reference.intervals();
    assertEquals(40, i.rows());
    assertTrue(i.lo() < 0.25 && 0.25 < i.hi(), i.toString());
    assertEquals(null, i.vsReference());
    EvalActivities.Comparison vs = model.intervals().vsReference();
    assertEquals("reference", vs.model());
    assertEquals(0.75, vs.difference(), 1e-9);
    assertTrue(vs.tellsApart() && vs.lo() > 0.5, vs.toString());
    // Same predictions, same interval: the seed is the data's hash.
    assertEquals(
        vs,
        activities
            .evaluate(request(d).comparedWith("exact_match", reference.predictions(), "reference"))
            .intervals()
            .vsReference());
  }

  @Test
  void withoutAPriceTheCostIsUnknownNotZero() {
    EvalResult r =
        activities.evaluate(new EvalRequest("p", "unpriced", "prompt", data(4), List.of("x")));
    assertEquals(4, r.usage().requests());
    assertEquals(null, r.usage().costPer1kRequests());
  }

  @Test
  void aRetryResumesFromTheLastHeartbeatInsteadOfPayingAgain() throws Exception {
    // Row 70 (third batch) fails once: the retry must not ask for the first two batches again.
    Map<String, Boolean> failedOnce = new ConcurrentHashMap<>();
    answer =
        user ->
            user.equals("login 70") && failedOnce.putIfAbsent(user, true) == null
                ? new MockResponse().setResponseCode(500)
                : echo(user);
    DatasetRef d = data(100);

    EvalResult r =
        startWorkflowEnv().newWorkflowStub(EvalWorkflow.class, options("a")).run(request(d), 2);

    for (int i = 0; i < 64; i++) {
      String input = (i % 4 == 0 ? "refund " : "login ") + i;
      assertEquals(1, requests.stream().filter(input::equals).count(), input);
    }
    assertEquals(true, failedOnce.get("login 70"), "the first attempt failed");
    assertCompletePredictions(d, r);
  }

  @Test
  void concurrentEvalsOfTheSameModelOnTheSameDataDoNotShareAWorkFile() throws Exception {
    // Slow answers make the two evals overlap on the shared inference pool.
    answer =
        user -> {
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return echo(user);
        };
    DatasetRef d = data(40);
    WorkflowClient client = startWorkflowEnv();
    EvalWorkflow first = client.newWorkflowStub(EvalWorkflow.class, options("first"));
    EvalWorkflow second = client.newWorkflowStub(EvalWorkflow.class, options("second"));

    CompletableFuture<EvalResult> a = WorkflowClient.execute(first::run, request(d), 1);
    CompletableFuture<EvalResult> b = WorkflowClient.execute(second::run, request(d), 1);

    // Each eval has a single attempt: sharing a work file would fail one of them or garble it.
    assertCompletePredictions(d, a.get(1, TimeUnit.MINUTES));
    assertCompletePredictions(d, b.get(1, TimeUnit.MINUTES));
    assertEquals(80, requests.size());
  }

  @Test
  void aFailedRequestCancelsTheRestOfItsBatch() throws Exception {
    // Row 0 is refused once the other requests of the pool are in flight; they would take 20 s.
    answer =
        user -> {
          if (!user.equals("refund 0")) {
            return slowEcho(user);
          }
          awaitRequests(POOL_SIZE);
          return new MockResponse()
              .setResponseCode(400)
              .setBody("{\"error\":{\"message\":\"bad request\"}}");
        };
    DatasetRef d = data(32);

    ActivityFailure e = assertThrows(ActivityFailure.class, () -> activities.evaluate(request(d)));

    assertEquals(Failures.PROVIDER_REJECTED, ((ApplicationFailure) e.getCause()).getType());
    assertInferencePoolIsFree();
    // What was in flight when row 0 failed, and nothing after: the rest were never sent.
    assertTrue(requests.size() <= POOL_SIZE + 1, "requests sent: " + requests.size());
  }

  @Test
  void cancellingTheEvalCancelsItsRequestsInFlight() throws Exception {
    answer = this::slowEcho;
    DatasetRef d = data(32);
    CompletableFuture<EvalResult> eval =
        CompletableFuture.supplyAsync(() -> activities.evaluate(request(d)));
    awaitRequests(POOL_SIZE);

    env.requestCancelActivity();

    // The eval learns of it from its next heartbeat, well before any answer would come.
    assertThrows(Exception.class, () -> eval.get(10, TimeUnit.SECONDS));
    assertInferencePoolIsFree();
    assertTrue(requests.size() <= POOL_SIZE + 1, "requests sent: " + requests.size());
  }

  /** A fake model that is right on some rows, wrong or not JSON on others, by the row's number. */
  private static MockResponse mixed(String user) {
    int n = Integer.parseInt(user.substring(user.indexOf(' ') + 1));
    String answer =
        n % 3 == 0
            ? "{\"category\":\"" + (n % 2 == 0 ? "billing" : "account") + "\"}"
            : n % 3 == 1 ? "{\"category\":\"billing\"}" : "no idea";
    var body = JSON.createObjectNode();
    body.putArray("choices")
        .addObject()
        .putObject("message")
        .put("role", "assistant")
        .put("content", answer);
    body.putObject("usage").put("prompt_tokens", 7).put("completion_tokens", n % 5);
    return new MockResponse().setBody(body.toString());
  }

  private static List<EvalActivities.ShardRequest> shardsOf(EvalRequest r, int... bounds) {
    List<EvalActivities.ShardRequest> out = new ArrayList<>();
    for (int i = 0; i + 1 < bounds.length; i++) {
      out.add(new EvalActivities.ShardRequest(r, bounds[i], bounds[i + 1]));
    }
    return out;
  }

  @Test
  void shardsScoredTogetherGiveWhatOneEvalGivesByteForByte() throws Exception {
    answer = EvalActivitiesImplTest::mixed;
    DatasetRef d = data(250);
    EvalRequest r = request(d).comparedWith("exact_match", null, null);
    EvalResult whole = activities.evaluate(r);
    assertEquals(250, requests.size());

    List<EvalActivities.ShardAnswers> answers = new ArrayList<>();
    for (EvalActivities.ShardRequest s : shardsOf(r, 0, 100, 200, 250)) {
      answers.add(activities.answerShard(s));
    }
    assertEquals(500, requests.size(), "every row asked once more, in one shard or another");
    assertEquals(
        100, Files.readAllLines(Path.of(answers.get(0).answers().path())).size(), "a line a row");
    // Handed over in any order: merged by row.
    java.util.Collections.reverse(answers);
    EvalResult sharded =
        activities.scoreShards(new EvalActivities.ScoreRequest(r, List.copyOf(answers)));

    assertEquals(whole.predictions().sha256(), sharded.predictions().sha256(), "same bytes");
    assertEquals(
        Files.readString(Path.of(whole.predictions().path())),
        Files.readString(Path.of(sharded.predictions().path())));
    assertEquals(whole.metrics(), sharded.metrics());
    assertTrue(whole.metrics().get("exact_match") > 0 && whole.metrics().get("exact_match") < 1);
    assertEquals(whole.rows(), sharded.rows());
    assertEquals(whole.scoredRows(), sharded.scoredRows());
    assertEquals(whole.labelReport().sha256(), sharded.labelReport().sha256());
    assertEquals(whole.intervals(), sharded.intervals());
    assertEquals(whole.usage().requests(), sharded.usage().requests());
    assertEquals(whole.usage().inputTokens(), sharded.usage().inputTokens());
    assertEquals(whole.usage().outputTokens(), sharded.usage().outputTokens());
    assertEquals(whole.usage().costPer1kRequests(), sharded.usage().costPer1kRequests());
    assertTrue(emptyFolder(dir.resolve("work")), "work files removed");
  }

  @Test
  void aLargeEvalInAWorkflowRunsInShardsSideBySideAndScoresAsOneEval() throws Exception {
    answer = EvalActivitiesImplTest::mixed;
    DatasetRef d = data(250); // shards of 100 rows here: [0, 100), [100, 200), [200, 250)
    EvalRequest r = request(d).comparedWith("exact_match", null, null);
    WorkflowClient client = startWorkflowEnv();

    EvalResult sharded =
        client.newWorkflowStub(ShardedEvalWorkflow.class, options("sharded")).run(r);

    assertEquals(250, requests.size(), "every row asked once");
    assertEquals(250, java.util.Set.copyOf(requests).size());
    List<String> activityTypes =
        client.fetchHistory("sharded").getEvents().stream()
            .filter(e -> e.hasActivityTaskScheduledEventAttributes())
            .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
            .toList();
    assertEquals(
        List.of("AnswerShard", "AnswerShard", "AnswerShard", "ScoreShards"), activityTypes);
    EvalResult whole = activities.evaluate(r);
    assertEquals(whole.predictions().sha256(), sharded.predictions().sha256());
    assertEquals(whole.metrics(), sharded.metrics());
    assertEquals(whole.intervals(), sharded.intervals());
    assertEquals(250, sharded.rows());
    assertTrue(emptyFolder(dir.resolve("work")), "work files removed");
  }

  @Test
  void textShardsScoredTogetherGiveWhatOneEvalGives() throws Exception {
    answer =
        user -> chatAnswer(user.length() % 2 == 0 ? user : user.toUpperCase(Locale.ROOT) + "!");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      rows.add(
          new Row("say " + i, i == 7 ? null : TextNode.valueOf("say " + (i % 4 == 0 ? i : 0))));
    }
    DatasetRef d = Rows.write(store, "text", rows);
    EvalRequest r =
        new EvalRequest("p", "m", "prompt", d, List.of())
            .forTask("text")
            .comparedWith(Scores.CHRF, null, null);
    EvalResult whole = activities.evaluate(r);
    List<EvalActivities.ShardAnswers> answers = new ArrayList<>();
    for (EvalActivities.ShardRequest s : shardsOf(r, 0, 25, 50, 60)) {
      answers.add(activities.answerShard(s));
    }
    EvalResult sharded = activities.scoreShards(new EvalActivities.ScoreRequest(r, answers));

    assertEquals(whole.predictions().sha256(), sharded.predictions().sha256());
    assertEquals(whole.metrics(), sharded.metrics());
    assertEquals(59, sharded.scoredRows());
    assertEquals(whole.intervals(), sharded.intervals());
    assertEquals(null, sharded.labelReport());
  }

  @Test
  void aShardReadsOnlyItsOwnRowsAndReusesEarlierAnswersOfThem() throws Exception {
    DatasetRef d = data(10);
    EvalResult first = activities.evaluate(request(d));
    requests.clear();
    EvalActivities.ShardAnswers shard =
        activities.answerShard(
            new EvalActivities.ShardRequest(request(d).reusingAnswers(first.predictions()), 4, 8));
    assertTrue(requests.isEmpty(), "all four answered before: " + requests);
    List<String> lines = Files.readAllLines(Path.of(shard.answers().path()));
    assertEquals(4, lines.size());
    assertEquals("echo:refund 4", JSON.readTree(lines.get(0)).get("text").asText());
    assertEquals("echo:login 7", JSON.readTree(lines.get(3)).get("text").asText());

    activities.answerShard(new EvalActivities.ShardRequest(request(d), 8, 10));
    assertEquals(List.of("login 9", "refund 8"), requests.stream().sorted().toList());
  }

  @Test
  void shardsThatDoNotCoverTheDataAreRefused() {
    DatasetRef d = data(10);
    EvalActivities.ShardAnswers a =
        activities.answerShard(new EvalActivities.ShardRequest(request(d), 0, 5));
    ActivityFailure gap =
        assertThrows(
            ActivityFailure.class,
            () ->
                activities.scoreShards(
                    new EvalActivities.ScoreRequest(
                        request(d),
                        List.of(a, new EvalActivities.ShardAnswers(6, 10, a.answers())))));
    assertTrue(gap.getCause().getMessage().contains("do not cover rows [5, 6)"), gap.toString());
    ActivityFailure outside =
        assertThrows(
            ActivityFailure.class,
            () -> activities.answerShard(new EvalActivities.ShardRequest(request(d), 5, 11)));
    assertEquals(Failures.INVALID_INPUT, ((ApplicationFailure) outside.getCause()).getType());
  }

  @Test
  void aRetriedShardResumesFromItsLastHeartbeatWithoutAskingAgain() throws Exception {
    // Row 170 (the third batch of the shard [100, 200)) fails once: the retry must not ask for
    // the shard's first two batches again, nor ever for rows outside the shard.
    Map<String, Boolean> failedOnce = new ConcurrentHashMap<>();
    answer =
        user ->
            user.equals("login 170") && failedOnce.putIfAbsent(user, true) == null
                ? new MockResponse().setResponseCode(500)
                : echo(user);
    DatasetRef d = data(300);

    EvalActivities.ShardAnswers shard =
        startWorkflowEnv()
            .newWorkflowStub(ShardWorkflow.class, options("shard"))
            .run(new EvalActivities.ShardRequest(request(d), 100, 200), 2);

    assertEquals(true, failedOnce.get("login 170"), "the first attempt failed");
    for (int i = 100; i < 164; i++) {
      String input = (i % 4 == 0 ? "refund " : "login ") + i;
      assertEquals(1, requests.stream().filter(input::equals).count(), input);
    }
    assertTrue(
        requests.stream()
            .mapToInt(u -> Integer.parseInt(u.substring(u.indexOf(' ') + 1)))
            .allMatch(n -> n >= 100 && n < 200),
        "only the shard's rows");
    List<String> lines = Files.readAllLines(Path.of(shard.answers().path()));
    assertEquals(100, lines.size());
    for (int i = 0; i < 100; i++) {
      String input = ((100 + i) % 4 == 0 ? "refund " : "login ") + (100 + i);
      assertEquals("echo:" + input, JSON.readTree(lines.get(i)).get("text").asText());
    }
  }

  @Test
  void aWorkFileKeepsOnlyTheLinesTheHeartbeatVouchedFor() throws Exception {
    Path file = dir.resolve("work-test.jsonl");
    Files.writeString(file, "a\nb\nc\nhalf");
    var ctor = WorkFile.class.getDeclaredConstructor(Path.class);
    ctor.setAccessible(true);
    WorkFile work = ctor.newInstance(file);
    assertEquals(2, work.resumeCount(2));
    assertEquals("a\nb\n", Files.readString(file));
    assertEquals(2, work.resumeCount(5), "no more than there are");
    assertEquals(0, work.resumeCount(0));
    assertTrue(!Files.exists(file), "a first attempt starts afresh");
  }

  private void awaitRequests(int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (requests.size() < n && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private WorkflowClient startWorkflowEnv() {
    // Real time: the evals run for real, with heartbeats, against the slow provider.
    workflowEnv =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    Worker worker = workflowEnv.newWorker("eval");
    worker.registerWorkflowImplementationTypes(
        EvalWorkflowImpl.class, ShardWorkflowImpl.class, ShardedEvalWorkflowImpl.class);
    worker.registerActivitiesImplementations(impl);
    workflowEnv.start();
    return workflowEnv.getWorkflowClient();
  }

  private static WorkflowOptions options(String workflowId) {
    return WorkflowOptions.newBuilder().setWorkflowId(workflowId).setTaskQueue("eval").build();
  }

  /** Runs one eval as the pipeline does, through {@link Evals}: in shards when it is large. */
  @WorkflowInterface
  public interface ShardedEvalWorkflow {
    @WorkflowMethod
    EvalResult run(EvalRequest request);
  }

  public static class ShardedEvalWorkflowImpl implements ShardedEvalWorkflow {
    @Override
    public EvalResult run(EvalRequest request) {
      ActivityOptions options =
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(1))
              .setHeartbeatTimeout(Duration.ofSeconds(10))
              .build();
      return new Evals(Workflow.newActivityStub(EvalActivities.class, options), 100)
          .evaluate(request);
    }
  }

  /** Runs one shard as an activity of its own workflow run. */
  @WorkflowInterface
  public interface ShardWorkflow {
    @WorkflowMethod
    EvalActivities.ShardAnswers run(EvalActivities.ShardRequest request, int maxAttempts);
  }

  public static class ShardWorkflowImpl implements ShardWorkflow {
    @Override
    public EvalActivities.ShardAnswers run(EvalActivities.ShardRequest request, int maxAttempts) {
      ActivityOptions options =
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(1))
              .setHeartbeatTimeout(Duration.ofSeconds(10))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(100))
                      .setMaximumAttempts(maxAttempts)
                      .build())
              .build();
      return Workflow.newActivityStub(EvalActivities.class, options).answerShard(request);
    }
  }

  /** Runs one eval as an activity of its own workflow run, as the pipeline does. */
  @WorkflowInterface
  public interface EvalWorkflow {
    @WorkflowMethod
    EvalResult run(EvalRequest request, int maxAttempts);
  }

  public static class EvalWorkflowImpl implements EvalWorkflow {
    @Override
    public EvalResult run(EvalRequest request, int maxAttempts) {
      ActivityOptions options =
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofMinutes(1))
              .setHeartbeatTimeout(Duration.ofSeconds(10))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(100))
                      .setMaximumAttempts(maxAttempts)
                      .build())
              .build();
      return Workflow.newActivityStub(EvalActivities.class, options).evaluate(request);
    }
  }
}
