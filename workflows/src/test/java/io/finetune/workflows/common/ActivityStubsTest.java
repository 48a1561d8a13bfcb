package io.finetune.workflows.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.activity.ActivityOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ActivityStubsTest {
  private static final Set<String> HEARTBEATING =
      Set.of(
          "Evaluate",
          "AnswerShard",
          "ScoreShards",
          "Judge",
          "Alignment",
          "AwaitJob",
          "JudgeCanary");

  @Test
  void heartbeatTimeoutGoesToTheActivitiesThatHeartbeatOnly() {
    Map<String, ActivityOptions> o = ActivityStubs.timeoutOverrides(Duration.ofSeconds(3), null);
    assertEquals(HEARTBEATING, o.keySet());
    o.values()
        .forEach(
            v -> {
              assertEquals(Duration.ofSeconds(3), v.getHeartbeatTimeout());
              assertNull(v.getStartToCloseTimeout());
              assertNull(v.getRetryOptions(), "the coded retry policy stays");
              assertNull(v.getCancellationType(), "the poll keeps waiting for cancellation");
            });
  }

  @Test
  void startToCloseTimeoutGoesToEveryOtherActivity() {
    Map<String, ActivityOptions> o = ActivityStubs.timeoutOverrides(null, Duration.ofSeconds(20));
    Set<String> expected =
        new TreeSet<>(
            Set.of(
                "ImportDataset",
                "ApplyCorrections",
                "Split",
                "Profile",
                "PrepareTrainingFile",
                "UploadTrainingFile",
                "StartJob",
                "ListCheckpoints",
                "Promote",
                "Current",
                "Find",
                "Compare",
                "PrepareRetraining",
                "SelectBatch",
                "StartCanary",
                "SlowEval",
                "Complete",
                "Remind",
                "VerifyDecision"));
    assertEquals(expected, o.keySet());
    o.values()
        .forEach(
            v -> {
              assertEquals(Duration.ofSeconds(20), v.getStartToCloseTimeout());
              assertNull(v.getHeartbeatTimeout());
            });
    assertTrue(
        ActivityStubs.timeoutOverrides(Duration.ofSeconds(3), Duration.ofSeconds(20))
            .keySet()
            .containsAll(HEARTBEATING));
  }

  @Test
  void nothingSetOverridesNothing() {
    assertTrue(ActivityStubs.timeoutOverrides(null, null).isEmpty());
  }

  @Test
  void nonPositiveTimeoutsAreRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> ActivityStubs.timeoutOverrides(Duration.ZERO, null));
    assertThrows(
        IllegalArgumentException.class,
        () -> ActivityStubs.timeoutOverrides(null, Duration.ofSeconds(-1)));
  }
}
