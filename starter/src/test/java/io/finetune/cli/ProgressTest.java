package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.finetune.workflows.eval.EvalActivities.EvalProgress;
import io.finetune.workflows.training.TrainingActivities.JobProgress;
import org.junit.jupiter.api.Test;

class ProgressTest {

  @Test
  void anEvalShowsRowsRateAndTimeLeftCountingOnlyThisAttemptsRows() {
    long start = 1_000_000;
    assertEquals(
        "96/300 rows evaluated (32%), 9.6 rows/s, about 21 s left",
        Progress.describe(new EvalProgress(96, 300, 0, start), start + 10_000));
    assertEquals(
        "160/300 rows evaluated (53%), 3.2 rows/s, about 44 s left (resumed at row 128)",
        Progress.describe(new EvalProgress(160, 300, 128, start), start + 10_000));
    assertEquals(
        "0/300 rows evaluated (0%)", Progress.describe(new EvalProgress(0, 300, 0, start), start));
  }

  @Test
  void theRunningShardsOfAnEvalAddUpToOneLine() {
    long start = 1_000_000;
    EvalProgress sum =
        Progress.summed(
            java.util.List.of(
                new EvalProgress(500, 1000, 0, start + 2_000),
                new EvalProgress(300, 1000, 100, start)));
    assertEquals(new EvalProgress(800, 2000, 100, start), sum);
    assertEquals(
        "800/2000 rows evaluated (40%), 70.0 rows/s, about 17 s left (resumed at row 100)",
        Progress.describe(sum, start + 10_000));
  }

  @Test
  void aTrainingPollShowsTheJobAndItsLatestEvent() {
    assertEquals(
        "provider job ftjob-1 running: epoch 2/3",
        Progress.describe(new JobProgress("ftjob-1", "running", "epoch 2/3")));
    assertEquals(
        "provider job ftjob-1 queued",
        Progress.describe(new JobProgress("ftjob-1", "queued", null)));
  }
}
