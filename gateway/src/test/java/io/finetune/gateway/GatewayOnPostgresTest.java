package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.approval.ApproverActivitiesImpl;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.approval.ApproverActivities.VerifyRequest;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionProof;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The gateway's tables on PostgreSQL, created by the same migration as on H2: traces in batches
 * (with their null columns), feedback with its idempotency and conflicts, and tokens. Runs where
 * FINETUNE_TEST_POSTGRES_URL names a database (user and password finetune); .ci/run sets one up.
 */
@EnabledIfEnvironmentVariable(named = "FINETUNE_TEST_POSTGRES_URL", matches = ".+")
class GatewayOnPostgresTest {
  PGSimpleDataSource db;

  @BeforeEach
  void migrate() {
    db = new PGSimpleDataSource();
    db.setURL(System.getenv("FINETUNE_TEST_POSTGRES_URL"));
    db.setUser("finetune");
    db.setPassword("finetune");
    Flyway flyway =
        Flyway.configure()
            .dataSource(db)
            .locations("classpath:db/migration")
            .cleanDisabled(false)
            .load();
    flyway.clean();
    flyway.migrate();
  }

  @Test
  void tracesFeedbackAndTokensWorkOnPostgres() throws Exception {
    TraceWriter traces = new TraceWriter(db, new Redactor(), 100, 7);
    for (int i = 0; i < 50; i++) {
      traces.record(TraceWriterTest.trace("t-" + i));
    }
    traces.close();
    assertEquals(50, TraceWriterTest.count(db));
    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT cost FROM traces LIMIT 1")) {
      rs.next();
      rs.getDouble(1);
      assertTrue(rs.wasNull(), "an unknown price is stored as null");
    }

    FeedbackStore feedback = new FeedbackStore(db, traces, new Redactor());
    var event =
        GatewayFixture.JSON.readTree(
            "{\"event_id\":\"e1\",\"trace_id\":\"t-1\",\"kind\":\"correction\","
                + "\"correction\":\"mail a@b.io\"}");
    assertEquals(FeedbackStore.Outcome.STORED, feedback.submit(event));
    assertEquals(FeedbackStore.Outcome.ALREADY_STORED, feedback.submit(event));
    FeedbackStore.Rejected conflict =
        assertThrows(
            FeedbackStore.Rejected.class,
            () ->
                feedback.submit(
                    GatewayFixture.JSON.readTree(
                        "{\"event_id\":\"e1\",\"trace_id\":\"t-2\",\"kind\":\"thumbs_up\"}")));
    assertEquals(409, conflict.status());

    ApiTokens tokens = new ApiTokens(db);
    ApiTokens.Created created = tokens.create("app");
    assertTrue(tokens.verify(created.token()).isPresent());
    tokens.revoke("app");
    assertTrue(tokens.verify(created.token()).isEmpty());

    // Approver tokens (V7): kept apart from the gateway's, checked by the worker's activity.
    ApiTokens.Created alice = tokens.createApprover("alice", null);
    assertTrue(tokens.verify(alice.token()).isEmpty(), "an approver token cannot call the gateway");
    Decision d = Decision.approve(Checkpoint.DATA_REVIEW, "alice", null);
    Decision signed =
        d.withProof(
            alice.info().id(),
            DecisionProof.sign(DecisionProof.sha256Hex(alice.token()), "w", "r", d));
    ApproverActivitiesImpl approvers = new ApproverActivitiesImpl(db);
    assertTrue(approvers.verifyDecision(new VerifyRequest("w", "r", signed, null)).verified());
    assertTrue(
        approvers
            .verifyDecision(
                new VerifyRequest(
                    "w", "r", signed.withProof(created.info().id(), signed.proof()), null))
            .reason()
            .contains("proof does not match"));
    assertEquals(
        List.of("gateway", "approver"),
        tokens.list().stream().map(ApiTokens.TokenInfo::kind).toList());
  }

  @Test
  void ingestedCorrectionsBecomeATracesDriftBatchOnPostgres(@TempDir Path dir) throws Exception {
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
    Path file =
        Files.writeString(
            dir.resolve("export.jsonl"),
            String.join(
                "\n",
                TraceIngestTest.TRACE_1,
                TraceIngestTest.TRACE_2,
                TraceIngestTest.FIX_1,
                TraceIngestTest.LIKE_2));
    TraceIngest ingest = new TraceIngest(db, new Redactor());
    assertEquals(new TraceIngest.Result(2, 0, 2, 0), ingest.ingest(file));
    assertEquals(new TraceIngest.Result(0, 2, 0, 2), ingest.ingest(file));

    TraceDriftSource source =
        new TraceDriftSource(db, store, new Redactor(), Clock.systemUTC(), Duration.ZERO);
    var current = new RegistryActivitiesImpl(db).current("ticket-triage");
    var selected = source.select(current, "check-1/run-a");
    assertTrue(
        selected.files().get(0).contains("2 answered, 1 corrected"), selected.files().toString());
    assertEquals(selected, source.select(current, "check-1/run-a"));
    assertEquals(null, source.select(current, "check-2/run-b").path());
  }
}
