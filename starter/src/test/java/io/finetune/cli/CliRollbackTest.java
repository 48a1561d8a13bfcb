package io.finetune.cli;

import static io.finetune.cli.CliInProcessTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.cli.CliInProcessTest.Result;
import io.finetune.serve.GatewayApplication;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import java.nio.file.Path;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code rollback} and {@code audit} on a database of their own: a rollback works with no Temporal
 * server (it says a rollout in progress was not told), is audited with who and why, and a version
 * that does not exist is refused with the versions there are.
 */
class CliRollbackTest {
  @TempDir Path home;

  private void promoteTwice() {
    try (ConfigurableApplicationContext db =
        GatewayApplication.database(Map.of("finetune.home", home.toString()))) {
      RegistryActivitiesImpl registry = new RegistryActivitiesImpl(db.getBean(DataSource.class));
      for (String run : new String[] {"run-1", "run-2"}) {
        registry.promote(
            new PromoteRequest(
                "ticket-triage",
                run,
                "ft:" + run,
                "local",
                "small",
                Map.of(),
                null,
                null,
                "alice"));
      }
    }
  }

  @Test
  void aRollbackServesThePreviousVersionAndIsAudited() {
    promoteTwice();
    // Nothing listens on port 9: Temporal is down, the rollback still happens.
    Result back =
        cli(
            "rollback",
            "ticket-triage",
            "--by",
            "carol",
            "--reason",
            "answers in the wrong language",
            "--home",
            home.toString(),
            "--address",
            "127.0.0.1:9");
    assertEquals(0, back.exit(), back.all());
    assertTrue(back.out().contains("v1 serves all traffic instead of v2"), back.out());
    assertTrue(back.out().contains("Temporal does not answer"), back.out());

    Result audit = cli("audit", "ticket-triage", "--home", home.toString());
    assertEquals(0, audit.exit(), audit.all());
    assertTrue(audit.out().startsWith("ticket-triage: v1 serves all traffic"), audit.out());
    String last = audit.out().strip().lines().reduce((a, b) -> b).orElseThrow();
    assertTrue(last.contains("rollback") && last.contains("v2>v1"), last);
    assertTrue(last.contains("carol") && last.contains("wrong language"), last);

    Result missing =
        cli("rollback", "ticket-triage", "--to", "7", "--by", "carol", "--home", home.toString());
    assertEquals(2, missing.exit(), missing.all());
    assertTrue(missing.err().contains("its versions are 1 to 2"), missing.err());

    Result unknown = cli("rollback", "nope", "--by", "carol", "--home", home.toString());
    assertEquals(2, unknown.exit(), unknown.all());
    assertTrue(unknown.err().contains("No model called 'nope'"), unknown.err());
  }
}
