package io.finetune.activities.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.registry.Deployments.AuditEntry;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.rollout.RolloutActivities.Completion;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What serves a model, through promotions, canaries, rollouts and rollbacks, on H2. */
class DeploymentsTest {
  DataSource db;
  RegistryActivitiesImpl registry;
  Deployments deployments;

  @BeforeEach
  void migrate() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:deployments-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    db = h2;
    Flyway.configure().dataSource(db).locations("classpath:db/migration").load().migrate();
    registry = new RegistryActivitiesImpl(db);
    deployments = new Deployments(db);
  }

  private int promote(String run, boolean serve) {
    return promote(run, serve, null);
  }

  private int promote(String run, boolean serve, String identity) {
    return registry
        .promote(
            new PromoteRequest(
                "triage",
                run,
                "ft:" + run,
                "local",
                "small",
                Map.of(),
                new PipelineSpec(
                    "triage",
                    null,
                    List.of("category"),
                    List.of(),
                    "p",
                    null,
                    null,
                    "local",
                    null,
                    null,
                    null),
                new DatasetRef("train", "/d.jsonl", "abc", 10, 10),
                "alice",
                serve,
                identity))
        .version();
  }

  @Test
  void theAuditSaysWhetherTheApproverWasVerified() {
    promote("run-1", true, "verified (token tok_1)");
    promote("run-2", false, "unverified (--by only)");
    deployments.startCanary("r/2/canary", "triage", 2, 1, 0.1, "alice", "unverified (--by only)");
    List<AuditEntry> audit = deployments.audit("triage", 50);
    assertEquals(List.of("promoted", "canary"), audit.stream().map(AuditEntry::action).toList());
    assertTrue(
        audit.get(0).reason().endsWith("; approved by alice, verified (token tok_1)"),
        audit.get(0).reason());
    assertTrue(
        audit.get(1).reason().endsWith("; approved by alice, unverified (--by only)"),
        audit.get(1).reason());
  }

  @Test
  void aVersionPromotedForARolloutServesOnlyItsCanaryShare() {
    assertEquals(1, promote("run-1", true));
    assertEquals(2, promote("run-2", false));
    assertEquals(1, registry.find("triage").version(), "v1 serves until the rollout decides");
    assertEquals(1, registry.route("triage", 0.05).version(), "no canary yet");

    deployments.startCanary("r/1/canary", "triage", 2, 1, 0.1, "alice");
    deployments.startCanary("r/1/canary", "triage", 2, 1, 0.1, "alice"); // a retry

    assertEquals(2, registry.route("triage", 0.05).version(), "inside the canary's share");
    assertEquals(1, registry.route("triage", 0.5).version());
    assertEquals(1, registry.find("triage").version(), "drift checks and retraining: v1");
    assertEquals(
        1,
        deployments.audit("triage", 50).stream().filter(e -> e.action().equals("canary")).count());

    Completion done =
        deployments.complete("r/1/complete", "triage", 2, true, "slow eval", "ok", null);
    assertTrue(done.applied());
    assertEquals(2, done.serving());
    assertEquals(2, registry.find("triage").version());
    assertEquals(2, registry.route("triage", 0.05).version());
    assertNull(deployments.get("triage").canary());
    // A retried completion answers the same and writes nothing more.
    assertEquals(
        done, deployments.complete("r/1/complete", "triage", 2, true, "slow eval", "ok", null));
    assertEquals(
        List.of("promoted", "canary", "rolled-out"),
        deployments.audit("triage", 50).stream().map(AuditEntry::action).toList());
  }

  @Test
  void aRolledBackCanaryLeavesTheStableVersionServing() {
    promote("run-1", true);
    promote("run-2", false);
    deployments.startCanary("r/1/canary", "triage", 2, 1, 0.2, "alice");

    Completion back =
        deployments.complete(
            "r/1/complete", "triage", 2, false, "slow eval", "worse", Map.of("pWorse", 0.001));

    assertTrue(back.applied());
    assertEquals(1, back.serving());
    assertEquals(1, registry.route("triage", 0.01).version());
    AuditEntry last = deployments.audit("triage", 1).get(0);
    assertEquals("rolled-back", last.action());
    assertEquals(2, last.fromVersion());
    assertEquals(1, last.toVersion());
    assertEquals("slow eval", last.actor());
    assertEquals("{\"pWorse\":0.001}", last.figures());
  }

  @Test
  void aCanaryEndedFromTheCommandLineIsNotRolledOutByItsWorkflow() {
    promote("run-1", true);
    promote("run-2", false);
    deployments.startCanary("r/1/canary", "triage", 2, 1, 0.1, "alice");

    AuditEntry rollback = deployments.rollback("triage", null, "carol", "pager alert");
    assertEquals(1, rollback.toVersion());
    assertTrue(rollback.reason().contains("canary v2 ended"), rollback.reason());
    assertTrue(rollback.reason().contains("pager alert"), rollback.reason());

    Completion c = deployments.complete("r/1/complete", "triage", 2, true, "slow eval", "ok", null);
    assertFalse(c.applied());
    assertEquals(1, c.serving());
    assertTrue(c.detail().contains("carol"), c.detail());
    assertEquals(1, registry.find("triage").version());
  }

  @Test
  void rollbackServesThePreviousVersionOrTheOneNamed() {
    promote("run-1", true);
    promote("run-2", true);
    promote("run-3", true);
    assertEquals(3, registry.find("triage").version());

    assertEquals(2, deployments.rollback("triage", null, "carol", null).toVersion());
    assertEquals(2, registry.find("triage").version());
    assertEquals(3, deployments.rollback("triage", 3, "carol", "fixed upstream").toVersion());
    assertEquals(3, registry.find("triage").version());

    ApplicationFailure same =
        assertThrows(ApplicationFailure.class, () -> deployments.rollback("triage", 3, "c", null));
    assertTrue(same.getOriginalMessage().contains("already serves"), same.getOriginalMessage());
    ApplicationFailure none =
        assertThrows(ApplicationFailure.class, () -> deployments.rollback("triage", 9, "c", null));
    assertTrue(
        none.getOriginalMessage().contains("versions are 1 to 3"), none.getOriginalMessage());
    ApplicationFailure unknown =
        assertThrows(ApplicationFailure.class, () -> deployments.rollback("nope", null, "c", null));
    assertTrue(unknown.getOriginalMessage().contains("No model called 'nope'"));
  }

  @Test
  void modelsPromotedBeforeRolloutsAreServedByTheirHighestVersion() throws Exception {
    promote("run-1", true);
    promote("run-2", true);
    try (var c = db.getConnection();
        var s = c.createStatement()) {
      s.executeUpdate("DELETE FROM model_deployments"); // as before V5
    }
    assertEquals(2, registry.find("triage").version());
    assertEquals(3, promote("run-3", false));
    assertEquals(2, registry.find("triage").version(), "the rollout's stable version is kept");
  }
}
