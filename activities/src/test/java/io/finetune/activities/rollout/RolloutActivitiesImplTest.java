package io.finetune.activities.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.registry.Deployments;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.workflows.rollout.RolloutActivities.Outcomes;
import io.finetune.workflows.rollout.RolloutActivities.SlowEval;
import io.finetune.workflows.rollout.RolloutActivities.SlowEvalRequest;
import io.finetune.workflows.rollout.RolloutActivities.Verdict;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The slow eval on traces and feedback as the gateway stores them, on H2. */
class RolloutActivitiesImplTest {
  DataSource db;
  RolloutActivitiesImpl rollout;
  int traces;

  @BeforeEach
  void migrate() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:rollout-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    db = h2;
    Flyway.configure().dataSource(db).locations("classpath:db/migration").load().migrate();
    rollout = new RolloutActivitiesImpl(db, new RegistryActivitiesImpl(db), null, null);
  }

  /**
   * {@code n} traces of {@code version} at time {@code at}, the first {@code down} with a thumbs
   * down, the next {@code regenerated} regenerated, and {@code failed} more that failed.
   */
  private void traffic(int version, int n, int down, int regenerated, int failed, long at)
      throws Exception {
    try (Connection c = db.getConnection();
        PreparedStatement t =
            c.prepareStatement(
                "INSERT INTO traces (id, created_at, model_name, model_version, provider_model,"
                    + " input, output, latency_ms, status) VALUES (?, ?, 'triage', ?, 'm', '[]',"
                    + " 'x', 1, ?)");
        PreparedStatement f =
            c.prepareStatement(
                "INSERT INTO feedback (event_id, trace_id, kind, created_at) VALUES (?, ?, ?, ?)")) {
      for (int i = 0; i < n + failed; i++) {
        String id = "t" + traces++;
        t.setString(1, id);
        t.setLong(2, at);
        t.setInt(3, version);
        t.setString(4, i < n ? "ok" : "provider_error");
        t.executeUpdate();
        String kind = i < down ? "thumbs_down" : i < down + regenerated ? "regenerated" : null;
        if (kind == null && i < n && i % 2 == 0) {
          kind = "thumbs_up";
        }
        if (kind != null && i < n) {
          f.setString(1, "e-" + id);
          f.setString(2, id);
          f.setString(3, kind);
          f.setLong(4, at);
          f.executeUpdate();
        }
      }
    }
  }

  private SlowEval eval(int minEvents) {
    return rollout.slowEval(
        new SlowEvalRequest(
            "k/" + UUID.randomUUID(), "triage", 2, 1, 1000, 2000, minEvents, 0.05, null));
  }

  @Test
  void aCanaryWithMoreThumbsDownIsWorse() throws Exception {
    traffic(1, 900, 45, 9, 0, 1500); // 6% bad
    traffic(2, 100, 15, 3, 2, 1500); // 20% bad
    traffic(2, 500, 400, 0, 0, 5000); // after the window: not counted

    SlowEval e = eval(50);

    Outcomes canary = e.canary();
    assertEquals(102, canary.traces());
    assertEquals(15, canary.thumbsDown());
    assertEquals(3, canary.regenerated());
    assertEquals(2, canary.failed());
    assertEquals(20, canary.bad());
    assertEquals(54, e.stable().bad());
    assertEquals(Verdict.WORSE, e.verdict(), e.reason());
    assertTrue(e.pWorse() < 0.001, e.reason());
    assertTrue(e.reason().contains("20/102"), e.reason());
    // The slow eval is audited with its figures.
    var audit = new Deployments(db).audit("triage", 10);
    assertEquals("slow-eval", audit.get(audit.size() - 1).action());
    assertTrue(audit.get(audit.size() - 1).figures().contains("\"verdict\":\"WORSE\""));
  }

  @Test
  void aCanaryAsGoodAsTheStableVersionIsNoWorse() throws Exception {
    traffic(1, 900, 54, 0, 0, 1500);
    traffic(2, 100, 6, 0, 0, 1500);

    assertEquals(Verdict.NO_WORSE, eval(50).verdict());
  }

  @Test
  void aClearlyBetterCanaryIsBetter() throws Exception {
    traffic(1, 900, 180, 0, 0, 1500);
    traffic(2, 300, 6, 0, 0, 1500);

    assertEquals(Verdict.BETTER, eval(50).verdict());
  }

  @Test
  void tooFewOutcomesConcludeNothing() throws Exception {
    traffic(1, 900, 45, 0, 0, 1500);
    traffic(2, 10, 9, 0, 0, 1500);

    SlowEval e = eval(50);
    assertEquals(Verdict.TOO_FEW, e.verdict());
    assertTrue(e.reason().contains("fewer than 50"), e.reason());
  }
}
