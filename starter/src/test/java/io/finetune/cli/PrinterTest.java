package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.finetune.workflows.eval.JudgeActivities.Alignment;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.finetune.workflows.pipeline.JudgeStanding;
import org.junit.jupiter.api.Test;

class PrinterTest {
  @Test
  void aJudgesVerdictIsShownBesideItsAgreementWithPeople() {
    JudgeResult j =
        new JudgeResult(
            "local-judge", "ft:local-small:x", "local-large", 60, 41, 12, 7, 9, 0, null);
    JudgeStanding standing =
        new JudgeStanding(
            "local-judge", new Alignment("local-judge", 40, 0.83, 0.71, null), 0.6, true, null);
    assertEquals(
        "judge local-judge: 41 wins, 12 ties, 7 losses of 60 pairs, flip rate 0.15;"
            + " alignment: agreement 0.83, kappa 0.71 (floor 0.60)",
        Printer.judge(j, standing));
  }
}
