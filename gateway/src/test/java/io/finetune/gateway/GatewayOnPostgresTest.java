package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
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
  }
}
