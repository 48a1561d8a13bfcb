package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.DatasetActivitiesImpl;
import io.finetune.activities.drift.DriftActivitiesImpl;
import io.finetune.activities.eval.EvalActivitiesImpl;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.gateway.ApiTokens;
import io.finetune.gateway.FeedbackStore;
import io.finetune.gateway.GatewayServer;
import io.finetune.gateway.Redactor;
import io.finetune.gateway.TraceDriftSource;
import io.finetune.gateway.TraceWriter;
import io.finetune.provider.local.LocalProvider;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.drift.DriftCheck;
import io.finetune.workflows.drift.DriftCheckImpl;
import io.finetune.workflows.drift.DriftCheckInput;
import io.finetune.workflows.drift.DriftResult;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Production traffic through the gateway retrains the model: a promoted model served by the gateway
 * on the local provider, users correcting answers, then the DriftCheck workflow (on the test
 * server, with the real activities) given no batch reads the model's traces (its spec says
 * drift.source: traces), counts the corrections as labeled rows, and starts a retraining whose data
 * holds them.
 */
class TracesDriftCheckTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path HISTORIES = Path.of("../workflows/src/test/resources/histories");
  private static final String PROMPT =
      "You triage tickets. Answer with a JSON object {\"category\": ...}.\n"
          + "category:\n- billing: refund, charged, invoice\n- technical (default): crash, error";

  /** The retraining the check started, as it was asked to run. */
  static final AtomicReference<PipelineInput> retraining = new AtomicReference<>();

  /** Stands in for the retraining pipeline: records its input and ends. */
  public static class RecordingPipeline implements FineTunePipeline {
    @Override
    public PipelineStatus run(PipelineInput input) {
      retraining.set(input);
      return null;
    }

    @Override
    public DecisionRecord decide(Decision decision) {
      return null;
    }

    @Override
    public void validateDecide(Decision decision) {}

    @Override
    public void decision(Decision decision) {}

    @Override
    public io.finetune.workflows.pipeline.CorrectionRecord correct(
        io.finetune.workflows.pipeline.Corrections corrections) {
      return null;
    }

    @Override
    public void validateCorrect(io.finetune.workflows.pipeline.Corrections corrections) {}

    @Override
    public io.finetune.workflows.pipeline.Suggestions suggest(
        io.finetune.workflows.pipeline.SuggestionRequest request) {
      return null;
    }

    @Override
    public void validateSuggest(io.finetune.workflows.pipeline.SuggestionRequest request) {}

    @Override
    public PipelineStatus waitUntilDecisionNeeded() {
      return null;
    }

    @Override
    public PipelineStatus status() {
      return null;
    }
  }

  @TempDir Path storage;

  private static DataSource migratedH2() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:traces-drift-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("classpath:db/migration").load().migrate();
    return h2;
  }

  private static JsonNode post(OkHttpClient http, String url, String token, String body)
      throws Exception {
    try (Response r =
        http.newCall(
                new Request.Builder()
                    .url(url)
                    .header("Authorization", "Bearer " + token)
                    .post(RequestBody.create(body, MediaType.get("application/json")))
                    .build())
            .execute()) {
      String text = r.body().string();
      assertTrue(r.isSuccessful(), r.code() + " " + text);
      ObjectNode out = (ObjectNode) JSON.readTree(text);
      String trace = r.header(GatewayServer.TRACE_HEADER);
      return trace == null ? out : out.put("_trace", trace);
    }
  }

  @Test
  void correctedProductionTracesRetrainTheModel() throws Exception {
    DataSource db = migratedH2();
    ArtifactStore store = new ArtifactStore(storage.resolve("artifacts"));
    RegistryActivitiesImpl registry = new RegistryActivitiesImpl(db);
    List<DatasetRef> train = new ArrayList<>();
    List<io.finetune.activities.dataset.Rows.Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rows.add(
          new io.finetune.activities.dataset.Rows.Row(
              i % 2 == 0 ? "I was charged twice " + i : "the app shows an error " + i,
              JSON.createObjectNode().put("category", i % 2 == 0 ? "billing" : "technical")));
    }
    train.add(io.finetune.activities.dataset.Rows.write(store, "train", rows));
    registry.promote(
        new PromoteRequest(
            "ticket-triage",
            "run-1",
            "local-small",
            "local",
            "small",
            Map.of("exact_match", 0.9),
            new PipelineSpec(
                "ticket-triage",
                new PipelineSpec.Dataset("/data/train.jsonl", "text", "label", "fields"),
                List.of("category"),
                List.of(),
                PROMPT,
                null,
                null,
                "local",
                new PipelineSpec.Split(0.1, 42),
                null,
                // New words in production are drift here, so that the check retrains.
                new PipelineSpec.Drift(
                    0.0, 0.1, 0.0, 0.3, null, null, null, PipelineSpec.Drift.SOURCE_TRACES)),
            train.get(0),
            "alice"));

    ExecutorService inference = Executors.newFixedThreadPool(2);
    OkHttpClient http = new OkHttpClient();
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    try (LocalProvider provider = LocalProvider.start(0, storage.resolve("provider"))) {
      Providers providers =
          new Providers(List.of(new ProviderConfig("local", provider.baseUrl(), "", 100)));
      TraceWriter traces = new TraceWriter(db, new Redactor(), 100, 10);
      ApiTokens tokens = new ApiTokens(db);
      String token = tokens.create("app").token();
      Map<String, String> corrections = new HashMap<>();
      try (GatewayServer gateway =
          GatewayServer.start(
              GatewayServer.Options.loopback(0),
              registry,
              providers,
              tokens,
              traces,
              new FeedbackStore(db, traces, new Redactor()))) {
        for (int i = 0; i < 12; i++) {
          String user =
              i % 2 == 0
                  ? "my subscription renewal " + i + " went through twice"
                  : "the export button does nothing on screen " + i;
          ObjectNode request = JSON.createObjectNode().put("model", "ticket-triage");
          request.putArray("messages").addObject().put("role", "user").put("content", user);
          String traceId =
              post(http, gateway.baseUrl() + "/chat/completions", token, request.toString())
                  .get("_trace")
                  .asText();
          if (i < 10) {
            String label = i % 2 == 0 ? "billing" : "technical";
            corrections.put(user, label);
            ObjectNode fix =
                JSON.createObjectNode()
                    .put("event_id", "fix-" + i)
                    .put("trace_id", traceId)
                    .put("kind", "correction")
                    .put("correction", "{\"category\": \"" + label + "\"}");
            post(http, gateway.baseUrl() + "/feedback", token, fix.toString());
          }
        }
      } // closing the gateway writes every trace
      Thread.sleep(5);

      Worker worker = env.newWorker(TaskQueues.FINE_TUNE);
      FinetuneSearchAttributes.definitions().forEach(env::registerSearchAttribute);
      worker.registerWorkflowImplementationTypes(DriftCheckImpl.class, RecordingPipeline.class);
      worker.registerActivitiesImplementations(
          registry,
          new DatasetActivitiesImpl(store),
          new EvalActivitiesImpl(store, providers, inference),
          new DriftActivitiesImpl(
              store,
              db,
              new TraceDriftSource(db, store, new Redactor(), Clock.systemUTC(), Duration.ZERO)));
      env.start();
      DriftCheck check =
          env.getWorkflowClient()
              .newWorkflowStub(
                  DriftCheck.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId("traces-check")
                      .setTaskQueue(TaskQueues.FINE_TUNE)
                      .build());
      DriftResult result = check.check(new DriftCheckInput("ticket-triage", null, true));

      assertTrue(result.drifted(), String.valueOf(result.exceeded()));
      assertEquals(12, result.statistics().batchRows());
      assertEquals(10, result.statistics().labeledRows(), "the corrected traces");
      assertTrue(
          result.batchFiles().get(0).startsWith("traces of ticket-triage"),
          result.batchFiles().toString());
      assertEquals("ticket-triage-retrain", result.retrainWorkflowId());
      assertTrue(result.freshRowsAdded() > 0 && result.freshRowsAdded() < 10, "some kept apart");

      // The retraining learns from production: its data holds the corrected rows with their labels.
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (retraining.get() == null && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      PipelineInput input = retraining.get();
      assertNotNull(input, "the retraining started");
      Map<String, String> learned = new HashMap<>();
      for (String line : Files.readAllLines(Path.of(input.spec().dataset().path()))) {
        JsonNode row = JSON.readTree(line);
        learned.put(row.get("input").asText(), row.path("output").path("category").asText());
      }
      assertEquals(20 + result.freshRowsAdded(), learned.size());
      int fromProduction = 0;
      for (Map.Entry<String, String> fix : corrections.entrySet()) {
        if (learned.containsKey(fix.getKey())) {
          assertEquals(fix.getValue(), learned.get(fix.getKey()), fix.getKey());
          fromProduction++;
        }
      }
      assertEquals(result.freshRowsAdded(), fromProduction);

      Histories.replayAndMaybeRecord(
          env.getWorkflowClient(), HISTORIES, "traces-check", "drift-check-traces");
    } finally {
      env.close();
      inference.shutdownNow();
      http.dispatcher().executorService().shutdown();
    }
  }
}
