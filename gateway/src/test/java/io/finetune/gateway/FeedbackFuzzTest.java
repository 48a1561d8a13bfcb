package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.fuzz.Fuzz;
import io.finetune.activities.fuzz.JsonTrees;
import io.finetune.activities.fuzz.Mutants;
import io.finetune.activities.fuzz.Mutants.Seed;
import io.finetune.activities.fuzz.Outcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The feedback reader ({@link FeedbackStore}, behind {@code POST /v1/feedback}) on events made from
 * valid ones: each is stored (once: a repeat is recognised), or refused with a 4xx {@link
 * FeedbackStore.Rejected} that says what is wrong, and then nothing is stored.
 */
class FeedbackFuzzTest {
  static final String READER = "feedback readers";

  static final List<String> EVENTS =
      List.of(
          "{\"event_id\": \"e-1\", \"trace_id\": \"tr-1\", \"kind\": \"thumbs_up\"}",
          "{\"event_id\": \"e-2\", \"trace_id\": \"tr-1\", \"kind\": \"correction\","
              + " \"correction\": \"{\\\"category\\\": \\\"billing\\\"} mail me at a@b.com\"}",
          "{\"event_id\": \"e-3\", \"trace_id\": \"tr-1\", \"kind\": \"side_by_side\","
              + " \"preferred\": \"tr-2\"}",
          "{\"event_id\": \"e-4\", \"trace_id\": \"tr-2\", \"kind\": \"regenerated\"}");

  static final List<String> WORDS =
      List.of(
          "event_id",
          "trace_id",
          "kind",
          "correction",
          "preferred",
          "thumbs_up",
          "thumbs_down",
          "regenerated",
          "side_by_side",
          "tr-1",
          "tr-2",
          "tr-3",
          "e-1",
          "e-2",
          "type",
          "created_at");

  private DataSource db;
  private TraceWriter traces;
  private FeedbackStore feedback;

  @BeforeEach
  void setUp() throws Exception {
    db = GatewayFixture.migratedH2();
    traces = new TraceWriter(db, new Redactor(), 1_000, 100);
    feedback = new FeedbackStore(db, traces, new Redactor());
    for (String id : List.of("tr-1", "tr-2")) {
      traces.record(
          new Trace(
              id,
              1L,
              "ticket-triage",
              1,
              "local-small",
              JsonTrees.read(JsonTrees.JSON, "[{\"role\": \"user\", \"content\": \"hi\"}]"),
              "ok",
              1,
              null,
              null,
              null,
              Trace.OK));
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!(traces.exists("tr-1") && traces.exists("tr-2")) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  @AfterEach
  void tearDown() {
    traces.close();
  }

  @Test
  void anEventWithFieldsOfTheWrongTypeIsStoredOrRefusedWithNothingStored() {
    Map<String, JsonNode> events = new LinkedHashMap<>();
    for (int i = 0; i < EVENTS.size(); i++) {
      events.put("event " + (i + 1), JsonTrees.read(JsonTrees.JSON, EVENTS.get(i)));
    }
    Fuzz.check(
        READER,
        "feedbackEventChanged",
        1,
        (SplittableRandom r) -> JsonTrees.changed(r, events, WORDS),
        JsonTrees::smaller,
        c -> check(c.tree(), c));
  }

  @Test
  void anEventWithItsBytesEditedIsStoredOrRefusedWithNothingStored() {
    List<Seed> seeds = EVENTS.stream().map(e -> Seed.of("event", e)).toList();
    Fuzz.check(
        READER,
        "feedbackBytesEdited",
        1,
        (SplittableRandom r) -> Mutants.random(r, seeds, WORDS),
        Mutants::smaller,
        m -> {
          JsonNode body;
          try {
            body = JsonTrees.JSON.readTree(m.bytes());
          } catch (java.io.IOException notJson) {
            return; // the gateway refuses it before the store sees it (GatewayRequestFuzzTest)
          }
          check(body, m);
        });
  }

  private void check(JsonNode body, Object input) {
    int before = GatewayFixture.rows(db, "feedback").size();
    Outcome<FeedbackStore.Outcome> o =
        Outcome.of(() -> feedback.submit(body), FeedbackStore.Rejected.class, input);
    int after = GatewayFixture.rows(db, "feedback").size();
    if (o.failed()) {
      FeedbackStore.Rejected r = (FeedbackStore.Rejected) o.error();
      assertTrue(r.status() >= 400 && r.status() < 500, "a client error: " + r.status());
      o.message(r.getMessage());
      if (r.param() != null) {
        o.message(r.getMessage(), r.param());
      }
      assertEquals(before, after, "a refused event stores nothing");
      return;
    }
    assertEquals(
        before + (o.result() == FeedbackStore.Outcome.STORED ? 1 : 0),
        after,
        "stored once: " + o.result());
  }
}
