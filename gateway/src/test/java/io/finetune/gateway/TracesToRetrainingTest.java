package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.DatasetActivitiesImpl;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.drift.DriftActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.provider.local.LocalProvider;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.drift.DriftActivities.BatchSelection;
import io.finetune.workflows.drift.DriftActivities.CompareRequest;
import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import io.finetune.workflows.drift.DriftActivities.RetrainData;
import io.finetune.workflows.drift.DriftActivities.RetrainRequest;
import io.finetune.workflows.drift.DriftActivities.SelectBatchRequest;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Production traffic becomes training data: a promoted model is served through the gateway on the
 * local provider, users correct some answers, a drift check of the model's traces (drift.source:
 * traces) counts the corrections as its labeled rows, and the retraining data holds them.
 */
class TracesToRetrainingTest {
  static final String PROMPT =
      "You triage tickets. Answer with a JSON object {\"category\": ...}.\n"
          + "category:\n- billing: refund, charged, invoice\n- technical (default): crash, error";

  @TempDir Path storage;

  static PipelineSpec spec(String name, String source) {
    return new PipelineSpec(
        name,
        new PipelineSpec.Dataset("/data/train.jsonl", "text", "label", "fields"),
        List.of("category"),
        List.of(),
        PROMPT,
        null,
        null,
        "local",
        new PipelineSpec.Split(0.1, 42),
        null,
        new PipelineSpec.Drift(0.05, 0.1, 0.0, 0.2, null, null, null, source));
  }

  static DatasetRef training(ArtifactStore store) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rows.add(
          new Row(
              i % 2 == 0 ? "I was charged twice " + i : "the app shows an error " + i,
              GatewayFixture.JSON
                  .createObjectNode()
                  .put("category", i % 2 == 0 ? "billing" : "technical")));
    }
    return Rows.write(store, "train", rows);
  }

  private static String chat(String user) {
    ObjectNode request = GatewayFixture.JSON.createObjectNode().put("model", "ticket-triage");
    var messages = request.putArray("messages");
    messages.addObject().put("role", "system").put("content", PROMPT);
    messages.addObject().put("role", "user").put("content", user);
    return request.toString();
  }

  private static String correction(String traceId, String text) {
    return GatewayFixture.JSON
        .createObjectNode()
        .put("event_id", UUID.randomUUID().toString())
        .put("trace_id", traceId)
        .put("kind", "correction")
        .put("correction", text)
        .toString();
  }

  /** Posts a correction; a millisecond apart, so that "the latest" is well defined. */
  private static void correct(GatewayFixture f, String traceId, String text) throws Exception {
    GatewayFixture.Answer a = f.post("/v1/feedback", correction(traceId, text));
    assertEquals(201, a.status(), String.valueOf(a.body()));
    Thread.sleep(2);
  }

  @Test
  void correctedTracesAreADriftChecksLabeledRowsAndTheRetrainingLearnsThem() throws Exception {
    ArtifactStore store = new ArtifactStore(storage.resolve("artifacts"));
    try (LocalProvider provider = LocalProvider.start(0, storage.resolve("provider"));
        GatewayFixture f = new GatewayFixture(provider.baseUrl(), List.of())) {
      DatasetRef train = training(store);
      f.registry.promote(
          new PromoteRequest(
              "ticket-triage",
              "run-1",
              "local-small",
              "local",
              "small",
              Map.of(),
              spec("ticket-triage", PipelineSpec.Drift.SOURCE_TRACES),
              train,
              "alice"));

      List<String> asked =
          List.of(
              "my subscription renewal CUST-123456 went through twice",
              "please refund the duplicate renewal, mail me at ann@example.com",
              "the export button does nothing",
              "where is my invoice for march",
              "login page is blank");
      List<String> ids = new ArrayList<>();
      for (String user : asked) {
        GatewayFixture.Answer a = f.post("/v1/chat/completions", chat(user));
        assertEquals(200, a.status(), String.valueOf(a.body()));
        ids.add(a.traceId());
      }
      // Users correct three answers (one twice: the latest counts), one with a text that is no
      // JSON answer, and like one.
      correct(f, ids.get(0), "{\"category\": \"technical\"}");
      correct(f, ids.get(0), "{\"category\": \"billing\"}");
      correct(f, ids.get(1), "{\"category\": \"billing\"}");
      correct(f, ids.get(2), "{\"category\": \"technical\"}");
      correct(f, ids.get(3), "it is billing");
      f.awaitTraces();
      Thread.sleep(5); // the window ends now: past the last trace's millisecond

      // The second pass redacts with today's rules: a customer number the gateway stored as is.
      Redactor redactor = new Redactor(List.of(Redactor.Rule.of("customer_id", "CUST-[0-9]{6}")));
      DriftActivitiesImpl drift =
          new DriftActivitiesImpl(
              store,
              f.db,
              new TraceDriftSource(f.db, store, redactor, Clock.systemUTC(), Duration.ZERO));
      BatchSelection selected =
          drift.selectBatch(new SelectBatchRequest("ticket-triage", null, "check-1/run-a"));
      assertNotNull(selected.path());
      assertTrue(
          selected.files().get(0).contains("5 answered, 3 corrected (labeled rows), 1 correction"),
          selected.files().toString());
      String batchText = Files.readString(Path.of(selected.path()));
      assertFalse(batchText.contains("CUST-123456"), batchText);
      assertTrue(batchText.contains("[customer_id]"), batchText);
      assertFalse(batchText.contains("ann@example.com"), batchText);

      // A retried activity gets the same batch; the next check starts where this one ended.
      assertEquals(
          selected,
          drift.selectBatch(new SelectBatchRequest("ticket-triage", null, "check-1/run-a")));
      BatchSelection next =
          drift.selectBatch(new SelectBatchRequest("ticket-triage", null, "check-2/run-b"));
      assertNull(next.path());
      assertTrue(next.lastTakenAtMillis() > 0);

      // The workflow goes on as for a folder batch: import, compare, retrain.
      PipelineSpec spec = f.registry.current("ticket-triage").spec();
      DatasetRef batch =
          new DatasetActivitiesImpl(store)
              .importDataset(
                  new ImportRequest(
                      "production",
                      selected.path(),
                      spec.dataset().inputField(),
                      spec.dataset().outputField(),
                      spec.outputFields(),
                      false,
                      spec.dataset().format(),
                      spec.task()));
      assertEquals(5, batch.rows());
      assertEquals(3, batch.labeledRows());
      DriftStatistics stats =
          drift.compare(
              new CompareRequest(
                  train, batch, spec.outputFields(), spec.fieldTypes(), spec.drift()));
      assertEquals(3, stats.labeledRows());

      RetrainData data = drift.prepareRetraining(new RetrainRequest(train, batch, 0.0, 42));
      assertEquals(3, data.freshRowsAdded());
      Map<String, String> learned =
          Rows.read(store, data.dataset()).stream()
              .filter(r -> !r.input().contains("charged twice") && !r.input().contains("error "))
              .collect(Collectors.toMap(Row::input, r -> r.value("category")));
      assertEquals(
          Map.of(
              "my subscription renewal [customer_id] went through twice", "billing",
              "please refund the duplicate renewal, mail me at [email]", "billing",
              "the export button does nothing", "technical"),
          learned);
      assertEquals(23, data.dataset().rows());
    }
  }

  @Test
  void aCheckWithoutABatchOfAModelThatReadsFoldersSaysToGiveOne() throws Exception {
    ArtifactStore store = new ArtifactStore(storage.resolve("artifacts"));
    var db = GatewayFixture.migratedH2();
    new io.finetune.activities.registry.RegistryActivitiesImpl(db)
        .promote(
            new PromoteRequest(
                "triage",
                "run-1",
                "local-small",
                "local",
                "small",
                Map.of(),
                spec("triage", null),
                training(store),
                "alice"));
    DriftActivitiesImpl drift =
        new DriftActivitiesImpl(
            store,
            db,
            new TraceDriftSource(db, store, new Redactor(), Clock.systemUTC(), Duration.ZERO));
    ApplicationFailure e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ApplicationFailure.class,
            () -> drift.selectBatch(new SelectBatchRequest("triage", null, "c/r")));
    assertTrue(e.isNonRetryable());
    assertTrue(e.getOriginalMessage().contains("give --batch FILE|FOLDER"), e.getMessage());
  }
}
