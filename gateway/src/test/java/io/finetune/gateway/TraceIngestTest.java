package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ingest}: the gateway's rules for traces and feedback from a file, all or nothing. */
class TraceIngestTest {
  @TempDir Path dir;

  private DataSource db;
  private TraceIngest ingest;

  static final String TRACE_1 =
      "{\"type\": \"trace\", \"id\": \"ext-1\", \"created_at\": \"2026-11-02T09:00:00Z\","
          + " \"model\": \"ticket-triage\", \"messages\": [{\"role\": \"user\", \"content\":"
          + " \"charged twice, call me on +1 415 555 0100\"}], \"output\":"
          + " \"{\\\"category\\\": \\\"technical\\\"}\", \"latency_ms\": 120, \"prompt_tokens\":"
          + " 30}";
  static final String TRACE_2 =
      "{\"type\": \"trace\", \"id\": \"ext-2\", \"created_at\": \"2026-11-02T09:05:00Z\","
          + " \"model\": \"ticket-triage\", \"model_version\": 1, \"messages\": [{\"role\":"
          + " \"user\", \"content\": [{\"type\": \"text\", \"text\": \"app crashes\"}]}]}";
  static final String FIX_1 =
      "{\"type\": \"feedback\", \"event_id\": \"fb-1\", \"trace_id\": \"ext-1\", \"kind\":"
          + " \"correction\", \"correction\": \"{\\\"category\\\": \\\"billing\\\"}\","
          + " \"created_at\": \"2026-11-02T10:00:00Z\"}";
  static final String LIKE_2 =
      "{\"type\": \"feedback\", \"event_id\": \"fb-2\", \"trace_id\": \"ext-2\", \"kind\":"
          + " \"thumbs_up\"}";

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

  private Path file(String name, String... lines) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  private int count(String table) {
    return GatewayFixture.rows(db, table).size();
  }

  @Test
  void tracesAndFeedbackAreStoredRedactedAndASecondLoadSkipsThem() throws Exception {
    // Feedback may come before its trace in the file.
    Path f = file("export.jsonl", FIX_1, TRACE_1, "", TRACE_2, LIKE_2);

    assertEquals(new TraceIngest.Result(2, 0, 2, 0), ingest.ingest(f));

    List<Map<String, String>> traces = GatewayFixture.rows(db, "traces");
    Map<String, String> first =
        traces.stream().filter(t -> t.get("id").equals("ext-1")).findFirst().orElseThrow();
    assertTrue(first.get("input").contains("call me on [phone]"), first.get("input"));
    assertFalse(first.get("input").contains("555"), first.get("input"));
    assertEquals("local-small", first.get("provider_model"), "the version's model by default");
    assertEquals("1", first.get("model_version"));
    assertEquals(
        String.valueOf(Instant.parse("2026-11-02T09:00:00Z").toEpochMilli()),
        first.get("created_at"));
    assertEquals("ok", first.get("status"));
    Map<String, String> fix =
        GatewayFixture.rows(db, "feedback").stream()
            .filter(e -> e.get("event_id").equals("fb-1"))
            .findFirst()
            .orElseThrow();
    assertEquals("{\"category\": \"billing\"}", fix.get("value_text"));
    assertEquals(
        String.valueOf(Instant.parse("2026-11-02T10:00:00Z").toEpochMilli()),
        fix.get("created_at"));

    // The same file again (a retried upload): nothing new, everything counted as skipped.
    assertEquals(new TraceIngest.Result(0, 2, 0, 2), ingest.ingest(f));
    assertEquals(2, count("traces"));
    assertEquals(2, count("feedback"));
  }

  @Test
  void anIdAlreadyStoredWithOtherContentIsAnErrorAndNothingOfTheFileIsStored() throws Exception {
    ingest.ingest(file("first.jsonl", TRACE_1));
    Path second =
        file("second.jsonl", TRACE_2, TRACE_1.replace("charged twice", "charged three times"));

    TraceIngest.Invalid e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(second));

    assertTrue(e.getMessage().startsWith(second + ":2: field 'id': "), e.getMessage());
    assertTrue(
        e.getMessage().contains("already in the database with other content"), e.getMessage());
    assertEquals(1, count("traces"), "ext-2, valid, was not stored either");
  }

  @Test
  void aMalformedLineNamesFileLineAndFieldAndStoresNothing() throws Exception {
    Path badKind =
        file("bad-kind.jsonl", TRACE_1, TRACE_2, LIKE_2.replace("thumbs_up", "thumbs_sideways"));
    TraceIngest.Invalid e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(badKind));
    // The gateway's own feedback validation, through ingest.
    assertTrue(
        e.getMessage().startsWith(badKind + ":3: field 'kind': kind must be one of"),
        e.getMessage());
    assertEquals(0, count("traces"));
    assertEquals(0, count("feedback"));

    Path noMessages =
        file("no-messages.jsonl", TRACE_1, TRACE_2.replaceAll(", \"messages\".*\\]\\}\\]", ""));
    e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(noMessages));
    assertTrue(
        e.getMessage().startsWith(noMessages + ":2: field 'messages': is required"),
        e.getMessage());

    Path notJson = file("not-json.jsonl", TRACE_1, "{\"type\": \"trace\",");
    e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(notJson));
    assertTrue(e.getMessage().startsWith(notJson + ":2: not JSON"), e.getMessage());

    Path unknownModel = file("unknown.jsonl", TRACE_1.replace("ticket-triage", "nobody"));
    e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(unknownModel));
    assertTrue(
        e.getMessage().contains(":1: field 'model': no model called 'nobody' has been promoted"),
        e.getMessage());

    Path orphan = file("orphan.jsonl", LIKE_2.replace("ext-2", "never-recorded"));
    e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(orphan));
    assertTrue(
        e.getMessage().contains(":1: field 'trace_id': 'never-recorded' is not"), e.getMessage());

    Path badDate = file("bad-date.jsonl", TRACE_1.replace("2026-11-02T09:00:00Z", "yesterday"));
    e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(badDate));
    assertTrue(
        e.getMessage().contains(":1: field 'created_at': 'yesterday' is not"), e.getMessage());
    assertEquals(0, count("traces"));
    assertEquals(0, count("feedback"));
  }

  @Test
  void theSameEventTwiceInAFileIsSkipped_otherContentUnderItsIdIsAConflict() throws Exception {
    Path twice = file("twice.jsonl", TRACE_2, LIKE_2, LIKE_2);
    assertEquals(new TraceIngest.Result(1, 0, 1, 1), ingest.ingest(twice));

    Path changed = file("changed.jsonl", LIKE_2.replace("thumbs_up", "thumbs_down"));
    TraceIngest.Invalid e = assertThrows(TraceIngest.Invalid.class, () -> ingest.ingest(changed));
    assertTrue(
        e.getMessage().contains(":1: field 'event_id': event 'fb-2' is already in the database"),
        e.getMessage());
  }
}
