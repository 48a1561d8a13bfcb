package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.finetune.devserver.TemporalCli;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash campaign ({@link CrashCampaign}) on the Temporal CLI's real dev server: the worker
 * killed with SIGKILL in every stage of a model's life and the dev server restarted once, and every
 * run still ends as the undisturbed reference run did, with no duplicate provider job or registry
 * version and no half-written artifact. {@code -Dfinetune.crash.kills=N} (default 10) and {@code
 * -Dfinetune.crash.seed=S} (default 1) tune it; {@code bench/crash-campaign.sh} runs it by hand.
 * Skipped without the Temporal CLI unless FINETUNE_REQUIRE_TEMPORAL_CLI=1.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class CrashCampaignIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  @TempDir Path dir;

  @Test
  void everyRunSurvivesWorkerKillsAndADevServerRestart() throws Exception {
    boolean installed = TemporalCli.find(REPO).isPresent();
    if (!installed && "1".equals(System.getenv("FINETUNE_REQUIRE_TEMPORAL_CLI"))) {
      throw new AssertionError(
          "FINETUNE_REQUIRE_TEMPORAL_CLI=1 but the Temporal CLI is not installed; run "
              + TemporalCli.HOW_TO_GET);
    }
    assumeTrue(
        installed,
        "Crash campaign skipped: the Temporal CLI is not installed (run "
            + TemporalCli.HOW_TO_GET
            + "; set FINETUNE_REQUIRE_TEMPORAL_CLI=1 to fail instead)");
    int kills = Integer.getInteger("finetune.crash.kills", 10);
    long seed = Long.getLong("finetune.crash.seed", 1L);

    CrashCampaign.Summary s =
        CrashCampaign.run(
            new CrashCampaign.Config(REPO, dir, kills, seed, Duration.ofMinutes(5)), System.out);

    assertTrue(s.kills() >= 10 || kills < 10, "only " + s.kills() + " kills: " + s.line());
    assertEquals(kills, s.kills(), s.line());
    assertEquals(s.kills(), s.survived(), s.line() + "\n" + String.join("\n", s.problems()));
    assertEquals(0, s.duplicateJobs(), s.line() + "\n" + String.join("\n", s.problems()));
    assertEquals(0, s.duplicateVersions(), s.line() + "\n" + String.join("\n", s.problems()));
    assertEquals(0, s.lostRuns(), s.line() + "\n" + String.join("\n", s.problems()));
    assertEquals(0, s.mismatchedRuns(), String.join("\n", s.problems()));
    assertTrue(s.devRestarted(), "the dev server was not restarted");
    assertTrue(s.problems().isEmpty(), String.join("\n", s.problems()));
    assertTrue(
        s.stagesHit().containsAll(CrashCampaign.STAGES),
        "stages hit " + s.stagesHit() + " of " + CrashCampaign.STAGES);
  }
}
