package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /v1/feedback: validated, idempotent by event id, nothing stored from a bad event. */
class FeedbackTest {
  private static final String ANSWER =
      "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"ok\"}}],"
          + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}";

  MockWebServer provider;
  GatewayFixture f;
  String traceA;
  String traceB;

  @BeforeEach
  void setUp() throws Exception {
    provider = new MockWebServer();
    provider.start();
    f = new GatewayFixture(provider.url("/v1").toString(), List.of());
    f.promote("ticket-triage", "ft:local-small:t:1");
    traceA = chat();
    traceB = chat();
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    provider.shutdown();
  }

  private String chat() throws Exception {
    provider.enqueue(new MockResponse().setBody(ANSWER));
    GatewayFixture.Answer a =
        f.post(
            "/v1/chat/completions",
            "{\"model\":\"ticket-triage\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, a.status());
    return a.traceId();
  }

  @Test
  void feedbackRightAfterTheAnswerIsAcceptedEvenBeforeItsTraceIsWritten() throws Exception {
    // No wait for the trace writer: the client sends feedback as soon as it has the trace id.
    String fresh = chat();
    GatewayFixture.Answer a =
        f.post(
            "/v1/feedback",
            "{\"event_id\":\"e-fresh\",\"trace_id\":\"" + fresh + "\",\"kind\":\"thumbs_down\"}");
    assertEquals(201, a.status(), a.body().toString());
  }

  @Test
  void everyKindIsStoredOnceAndARepeatIs200WithStillOneRow() throws Exception {
    Map<String, String> events = new LinkedHashMap<>();
    events.put("e1", "{\"event_id\":\"e1\",\"trace_id\":\"A\",\"kind\":\"thumbs_up\"}");
    events.put("e2", "{\"event_id\":\"e2\",\"trace_id\":\"A\",\"kind\":\"thumbs_down\"}");
    events.put("e3", "{\"event_id\":\"e3\",\"trace_id\":\"A\",\"kind\":\"regenerated\"}");
    events.put(
        "e4",
        "{\"event_id\":\"e4\",\"trace_id\":\"A\",\"kind\":\"correction\","
            + "\"correction\":\"{\\\"category\\\":\\\"billing\\\"} - ask bob@example.org\"}");
    events.put(
        "e5",
        "{\"event_id\":\"e5\",\"trace_id\":\"A\",\"kind\":\"side_by_side\",\"preferred\":\"B\"}");
    for (String json : events.values()) {
      String event =
          json.replace("\"A\"", "\"" + traceA + "\"").replace("\"B\"", "\"" + traceB + "\"");
      GatewayFixture.Answer first = f.post("/v1/feedback", event);
      assertEquals(201, first.status(), event + " -> " + first.body());
      assertEquals("stored", first.body().path("status").asText());
      GatewayFixture.Answer again = f.post("/v1/feedback", event);
      assertEquals(200, again.status(), event + " -> " + again.body());
      assertEquals("already_stored", again.body().path("status").asText());
    }

    List<Map<String, String>> rows = f.rows("feedback");
    assertEquals(5, rows.size());
    Map<String, Map<String, String>> byId = new LinkedHashMap<>();
    rows.forEach(r -> byId.put(r.get("event_id"), r));
    assertEquals("thumbs_up", byId.get("e1").get("kind"));
    assertEquals(traceA, byId.get("e1").get("trace_id"));
    assertEquals("{\"category\":\"billing\"} - ask [email]", byId.get("e4").get("value_text"));
    assertEquals(traceB, byId.get("e5").get("value_text"));
  }

  @Test
  void theSameEventIdWithOtherContentIs409AndTheFirstEventStays() throws Exception {
    assertEquals(
        201,
        f.post(
                "/v1/feedback",
                "{\"event_id\":\"e1\",\"trace_id\":\"" + traceA + "\",\"kind\":\"thumbs_up\"}")
            .status());

    GatewayFixture.Answer conflict =
        f.post(
            "/v1/feedback",
            "{\"event_id\":\"e1\",\"trace_id\":\"" + traceA + "\",\"kind\":\"thumbs_down\"}");

    assertEquals(409, conflict.status());
    assertEquals("event_id", conflict.body().path("error").path("param").asText());
    assertTrue(
        conflict.errorMessage().contains("already used for another event (thumbs_up on trace"),
        conflict.errorMessage());
    assertEquals(1, f.rows("feedback").size());
    assertEquals("thumbs_up", f.rows("feedback").get(0).get("kind"));
  }

  @Test
  void badEventsAreRefusedNamingTheFieldAndNothingIsStored() throws Exception {
    String t = traceA;
    record Case(String body, int status, String param, String message) {}
    List<Case> cases =
        List.of(
            new Case("not json", 400, null, "The body is not valid JSON"),
            new Case("[]", 400, null, "The body must be a JSON object with event_id"),
            new Case(
                "{\"trace_id\":\"" + t + "\",\"kind\":\"thumbs_up\"}",
                400,
                "event_id",
                "event_id is required"),
            new Case(
                "{\"event_id\":\"  \",\"trace_id\":\"" + t + "\",\"kind\":\"thumbs_up\"}",
                400,
                "event_id",
                "event_id must not be empty"),
            new Case(
                "{\"event_id\":\"e1\",\"kind\":\"thumbs_up\"}",
                400,
                "trace_id",
                "trace_id is required"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\"" + t + "\"}",
                400,
                "kind",
                "kind is required"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\"" + t + "\",\"kind\":\"love\"}",
                400,
                "kind",
                "kind must be one of thumbs_up, thumbs_down, regenerated, correction,"
                    + " side_by_side, not 'love'"),
            new Case(
                "{\"event_id\":7,\"trace_id\":\"" + t + "\",\"kind\":\"thumbs_up\"}",
                400,
                "event_id",
                "event_id must be a string, not number"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\"" + t + "\",\"kind\":\"correction\"}",
                400,
                "correction",
                "correction is required"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\""
                    + t
                    + "\",\"kind\":\"correction\",\"correction\":\"\"}",
                400,
                "correction",
                "correction must not be empty"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\"" + t + "\",\"kind\":\"side_by_side\"}",
                400,
                "preferred",
                "preferred is required"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\""
                    + t
                    + "\",\"kind\":\"thumbs_up\",\"correction\":\"x\"}",
                400,
                "correction",
                "correction is only for kind correction, not thumbs_up"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\"" + t + "\",\"kind\":\"thumbs_up\",\"x\":1}",
                400,
                "x",
                "Unknown field 'x'"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\"tr-nope\",\"kind\":\"thumbs_up\"}",
                404,
                "trace_id",
                "trace_id 'tr-nope' is not a trace of this gateway"),
            new Case(
                "{\"event_id\":\"e1\",\"trace_id\":\""
                    + t
                    + "\",\"kind\":\"side_by_side\",\"preferred\":\"tr-nope\"}",
                404,
                "preferred",
                "preferred 'tr-nope' is not a trace of this gateway"));
    for (Case c : cases) {
      GatewayFixture.Answer a = f.post("/v1/feedback", c.body());
      assertEquals(c.status(), a.status(), c.body() + " -> " + a.body());
      assertTrue(a.errorMessage().startsWith(c.message()), c.body() + " -> " + a.errorMessage());
      String param =
          a.body().path("error").path("param").isNull()
              ? null
              : a.body().path("error").path("param").asText();
      assertEquals(c.param(), param, c.body());
      assertEquals("invalid_request_error", a.body().path("error").path("type").asText());
    }
    assertEquals(List.of(), f.rows("feedback"));
  }
}
