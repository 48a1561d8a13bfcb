package io.finetune.cli;

import static io.finetune.cli.CliInProcessTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.cli.CliInProcessTest.Result;
import io.finetune.serve.GatewayApplication;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/** {@code ingest} and {@code traces export} in-process, on a database of their own. */
class CliTracesTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path home;
  @TempDir Path dir;

  @BeforeEach
  void promote() {
    try (ConfigurableApplicationContext db =
        GatewayApplication.database(Map.of("finetune.home", home.toString()))) {
      new RegistryActivitiesImpl(db.getBean(DataSource.class))
          .promote(
              new PromoteRequest(
                  "ticket-triage",
                  "run-1",
                  "local-small",
                  "local",
                  "small",
                  Map.of(),
                  new PipelineSpec(
                      "ticket-triage",
                      new PipelineSpec.Dataset("/data/t.jsonl", "text", "label", "fields"),
                      List.of("category"),
                      List.of(),
                      "You triage tickets.",
                      null,
                      null,
                      "local",
                      null,
                      null,
                      null),
                  new DatasetRef("train", "/store/d.jsonl", "abc", 10, 10),
                  "alice"));
    }
  }

  private static String trace(String id, String when, String user) {
    return JSON.createObjectNode()
        .put("type", "trace")
        .put("id", id)
        .put("created_at", when)
        .put("model", "ticket-triage")
        .put("output", "{\"category\": \"technical\"}")
        .set(
            "messages",
            JSON.createArrayNode()
                .add(JSON.createObjectNode().put("role", "system").put("content", "Triage."))
                .add(JSON.createObjectNode().put("role", "user").put("content", user)))
        .toString();
  }

  private static String feedback(String id, String trace, String kind, String correction) {
    var node =
        JSON.createObjectNode()
            .put("type", "feedback")
            .put("event_id", id)
            .put("trace_id", trace)
            .put("kind", kind);
    if (correction != null) {
      node.put("correction", correction);
    }
    return node.toString();
  }

  private Path exported() throws Exception {
    return Files.writeString(
        dir.resolve("exported.jsonl"),
        String.join(
                "\n",
                trace("t-1", "2026-11-02T09:00:00Z", "I was charged twice, bob@example.com"),
                trace("t-2", "2026-11-02T09:01:00Z", "the app crashes on start"),
                trace("t-3", "2026-11-02T09:02:00Z", "where is my invoice"),
                feedback("f-1", "t-1", "correction", "{\"category\": \"billing\"}"),
                feedback("f-2", "t-2", "thumbs_up", null),
                feedback("f-3", "t-3", "correction", "{\"category\": \"billing\"}"))
            + "\n");
  }

  private Result run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--home");
    all.add(home.toString());
    return cli(all.toArray(String[]::new));
  }

  private static List<JsonNode> lines(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  @Test
  void ingestedCorrectionsAreExportedAsLabeledRowsInEitherFormat() throws Exception {
    Path file = exported();
    Result first = run("ingest", file.toString());
    assertEquals(0, first.exit(), first.all());
    assertTrue(first.out().contains("3 traces and 3 feedback events stored"), first.out());
    Result again = run("ingest", file.toString());
    assertEquals(0, again.exit(), again.all());
    assertTrue(
        again.out().contains("0 traces and 0 feedback events stored; 3 traces and 3 events were"),
        again.out());

    Path fields = dir.resolve("out/fields.jsonl");
    Result export =
        run(
            "traces",
            "export",
            "ticket-triage",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-03T00:00:00Z",
            "--out",
            fields.toString());
    assertEquals(0, export.exit(), export.all());
    assertTrue(export.out().contains("Wrote 2 rows"), export.out());
    assertTrue(export.out().contains("1 traces nobody corrected were left out"), export.out());
    List<JsonNode> rows = lines(fields);
    assertEquals(2, rows.size());
    assertEquals("I was charged twice, [email]", rows.get(0).get("text").asText());
    assertEquals("billing", rows.get(0).path("label").path("category").asText());
    assertEquals("where is my invoice", rows.get(1).get("text").asText());

    Path chat = dir.resolve("chat.jsonl");
    Result all =
        run(
            "traces",
            "export",
            "ticket-triage",
            "--since",
            "2026-11-02T09:00:30Z",
            "--until",
            "2026-11-03",
            "--format",
            "chat",
            "--include-unlabeled",
            "--out",
            chat.toString());
    assertEquals(0, all.exit(), all.all());
    List<JsonNode> conversations = lines(chat);
    assertEquals(2, conversations.size(), "t-2 and t-3: t-1 is before --since");
    JsonNode uncorrected = conversations.get(0).get("messages");
    assertEquals("user", uncorrected.get(uncorrected.size() - 1).get("role").asText());
    JsonNode corrected = conversations.get(1).get("messages");
    assertEquals("system", corrected.get(0).get("role").asText());
    assertEquals("assistant", corrected.get(2).get("role").asText());
    assertEquals("{\"category\": \"billing\"}", corrected.get(2).get("content").asText());
  }

  @Test
  void anUnknownModelOrABadDateIsAUsageError() throws Exception {
    Path out = dir.resolve("x.jsonl");
    Result unknown = run("traces", "export", "nobody", "--since", "7d", "--out", out.toString());
    assertEquals(2, unknown.exit(), unknown.all());
    assertTrue(unknown.err().contains("No model called 'nobody' has been promoted"), unknown.err());

    Result badDate =
        run(
            "traces",
            "export",
            "ticket-triage",
            "--since",
            "last tuesday",
            "--out",
            out.toString());
    assertEquals(2, badDate.exit(), badDate.all());
    assertTrue(badDate.err().contains("--since 'last tuesday' is neither"), badDate.err());
    CliInProcessTest.assertNoStackTrace(badDate);
    assertFalse(Files.exists(out));
  }

  @Test
  void aMalformedIngestLineIsAUsageErrorNamingFileLineAndField() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("bad.jsonl"),
            trace("t-1", "2026-11-02T09:00:00Z", "hello")
                + "\n"
                + feedback("f-1", "t-1", "correction", null)
                + "\n");
    Result r = run("ingest", file.toString());
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains(file + ":2: field 'correction': correction is required"), r.err());
    assertTrue(r.err().contains("nothing was stored"), r.err());
    CliInProcessTest.assertNoStackTrace(r);
  }

  @Test
  void durationsAndDatesAreReadAsTimesBackFromNow() {
    Instant now = Instant.parse("2026-11-30T12:00:00Z");
    assertEquals(Instant.parse("2026-11-29T12:00:00Z"), TracesCommand.when("--since", "24h", now));
    assertEquals(Instant.parse("2026-11-23T12:00:00Z"), TracesCommand.when("--since", "7d", now));
    assertEquals(Instant.parse("2026-11-30T06:00:00Z"), TracesCommand.when("--since", "PT6H", now));
    assertEquals(
        Instant.parse("2026-11-01T00:00:00Z"), TracesCommand.when("--since", "2026-11-01", now));
    assertEquals(
        Instant.parse("2026-11-01T07:00:00Z"),
        TracesCommand.when("--since", "2026-11-01T08:00:00+01:00", now));
  }
}
