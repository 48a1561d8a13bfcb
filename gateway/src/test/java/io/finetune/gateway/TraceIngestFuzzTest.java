package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.fuzz.Fuzz;
import io.finetune.activities.fuzz.JsonTrees;
import io.finetune.activities.fuzz.Mutants;
import io.finetune.activities.fuzz.Mutants.Seed;
import io.finetune.activities.fuzz.Outcome;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trace and feedback file reader ({@code ./finetune ingest}) on files made from a valid export:
 * each is stored whole, or refused with a {@link TraceIngest.Invalid} naming the file (and line and
 * field), and then nothing at all is stored.
 */
class TraceIngestFuzzTest {
  static final String READER = "feedback readers";
  static final List<String> LINES =
      List.of(
          TraceIngestTest.TRACE_1,
          TraceIngestTest.TRACE_2,
          TraceIngestTest.FIX_1,
          TraceIngestTest.LIKE_2,
          "{\"type\": \"feedback\", \"event_id\": \"fb-3\", \"trace_id\": \"ext-1\", \"kind\":"
              + " \"side_by_side\", \"preferred\": \"ext-2\"}");

  static final List<String> WORDS =
      List.of(
          "type",
          "trace",
          "feedback",
          "id",
          "created_at",
          "model",
          "model_version",
          "provider_model",
          "messages",
          "output",
          "latency_ms",
          "prompt_tokens",
          "completion_tokens",
          "cost",
          "status",
          "ok",
          "provider_error",
          "role",
          "content",
          "ticket-triage",
          "ext-1",
          "ext-2",
          "event_id",
          "trace_id",
          "kind",
          "thumbs_up",
          "correction",
          "side_by_side",
          "preferred",
          "2026-11-02T09:00:00Z");

  @TempDir Path dir;
  private DataSource db;
  private TraceIngest ingest;

  @BeforeEach
  void setUp() {
    db = GatewayFixture.migratedH2();
    ArtifactStore store = new ArtifactStore(dir.resolve("artifacts"));
    new RegistryActivitiesImpl(db)
        .promote(
            new PromoteRequest(
                "ticket-triage",
                "run-1",
                "local-small",
                "local",
                "small",
                Map.of(),
                TracesToRetrainingTest.spec("ticket-triage", PipelineSpec.Drift.SOURCE_TRACES),
                TracesToRetrainingTest.training(store),
                "alice"));
    ingest = new TraceIngest(db, new Redactor());
  }

  @Test
  void anExportWithItsBytesEditedIsStoredWholeOrRefusedWithNothingStored() {
    List<Seed> seeds =
        List.of(
            Seed.of("all", String.join("\n", LINES) + "\n"),
            Seed.of("trace", LINES.get(0) + "\n"),
            Seed.of("feedback first", LINES.get(2) + "\n" + LINES.get(0) + "\n"));
    Fuzz.check(
        READER,
        "ingestBytesEdited",
        1,
        (SplittableRandom r) -> Mutants.random(r, seeds, WORDS),
        Mutants::smaller,
        m -> check(m.bytes(), m));
  }

  @Test
  void aLineWithFieldsOfTheWrongTypeIsStoredOrRefusedWithNothingStored() {
    Map<String, JsonNode> lines = new LinkedHashMap<>();
    for (int i = 0; i < LINES.size(); i++) {
      lines.put("line " + (i + 1), JsonTrees.read(JsonTrees.JSON, LINES.get(i)));
    }
    Fuzz.check(
        READER,
        "ingestLineChanged",
        1,
        (SplittableRandom r) -> JsonTrees.changed(r, lines, WORDS),
        JsonTrees::smaller,
        c ->
            check(
                (LINES.get(0) + "\n" + c.json() + "\n" + LINES.get(1) + "\n")
                    .getBytes(StandardCharsets.UTF_8),
                c));
  }

  /**
   * A case the fuzz test's tokens hold: a year {@link java.time.Instant} parses but milliseconds
   * cannot hold threw an ArithmeticException instead of naming the line and field.
   */
  @Test
  void anInstantTooFarAwayIsNamed() throws Exception {
    for (String when : List.of("+1000000000-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z")) {
      Path file =
          Files.writeString(
              dir.resolve("far.jsonl"), LINES.get(0).replace("2026-11-02T09:00:00Z", when));
      TraceIngest.Invalid e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(file));
      assertTrue(e.getMessage().startsWith(file + ":1: field 'created_at'"), e.getMessage());
    }
  }

  private void check(byte[] bytes, Object input) throws Exception {
    clear();
    Path file = Files.write(dir.resolve("export.jsonl"), bytes);
    Outcome<TraceIngest.Result> o =
        Outcome.of(() -> ingest.ingest(file), TraceIngest.Invalid.class, input);
    int traces = GatewayFixture.rows(db, "traces").size();
    int feedback = GatewayFixture.rows(db, "feedback").size();
    if (o.failed()) {
      o.message(o.error().getMessage(), file.toString());
      assertEquals(0, traces, "a refused file stores no trace");
      assertEquals(0, feedback, "a refused file stores no feedback");
      return;
    }
    assertEquals(o.result().traces(), traces);
    assertEquals(o.result().feedback(), feedback);
  }

  private void clear() throws SQLException {
    try (Connection c = db.getConnection()) {
      c.createStatement().executeUpdate("DELETE FROM feedback");
      c.createStatement().executeUpdate("DELETE FROM traces");
    }
  }
}
