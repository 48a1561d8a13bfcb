package io.finetune.workflows.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DecisionRulesTest {
  private static final List<Checkpoint> PIPELINE_CHECKPOINTS =
      List.of(Checkpoint.DATA_REVIEW, Checkpoint.PROMOTION);
  private static final DecisionRules.RunState AT_DATA_REVIEW =
      new DecisionRules.RunState(
          PIPELINE_CHECKPOINTS,
          Stage.DATA_REVIEW,
          Checkpoint.DATA_REVIEW,
          Map.of(),
          null,
          List.of());

  private static String problem(Decision d, Channel via, DecisionRules.RunState run) {
    return DecisionRules.problemWith(d, via, run).orElse(null);
  }

  @Test
  void anApprovalOfTheOpenCheckpointIsTakenAndRecordedTyped() {
    Decision d = new Decision("data-review", "Approve", "alice", "ok");
    assertEquals(Optional.empty(), DecisionRules.problemWith(d, Channel.UPDATE, AT_DATA_REVIEW));

    DecisionRecord r = DecisionRules.record(d, Channel.UPDATE, 42);
    assertEquals(Checkpoint.DATA_REVIEW, r.checkpoint());
    assertEquals(Action.APPROVE, r.action());
    assertEquals(42, r.atMillis());
    assertTrue(r.approved());
    assertFalse(r.override());
  }

  @Test
  void malformedDecisionsSayWhatIsWrong() {
    assertTrue(problem(null, Channel.SIGNAL, AT_DATA_REVIEW).startsWith("empty decision"));
    assertEquals(
        "unknown checkpoint 'deploy'; expected one of [data-review, promotion, rollback]",
        problem(new Decision("deploy", "approve", "a", null), Channel.UPDATE, AT_DATA_REVIEW));
    assertEquals(
        "unknown action 'maybe'; expected approve or reject",
        problem(new Decision("data-review", "maybe", "a", null), Channel.UPDATE, AT_DATA_REVIEW));
    assertEquals(
        "'by' is required: who takes this decision",
        problem(new Decision("data-review", "approve", " ", null), Channel.SIGNAL, AT_DATA_REVIEW));
  }

  @Test
  void onlyApproversMayDecideWhenTheSpecNamesThem() {
    DecisionRules.RunState restricted =
        new DecisionRules.RunState(
            PIPELINE_CHECKPOINTS,
            Stage.DATA_REVIEW,
            Checkpoint.DATA_REVIEW,
            Map.of(),
            null,
            List.of("alice"));
    Decision mallory = Decision.approve(Checkpoint.DATA_REVIEW, "mallory", null);

    for (Channel via : Channel.values()) {
      assertEquals(
          "'mallory' may not decide on this run; approvers are [alice]",
          problem(mallory, via, restricted));
    }
    assertEquals(
        Optional.empty(),
        DecisionRules.problemWith(
            Decision.approve(Checkpoint.DATA_REVIEW, "alice", null), Channel.UPDATE, restricted));
  }

  @Test
  void anUpdateMustNameTheOpenCheckpointButASignalMayComeEarly() {
    Decision early = Decision.approve(Checkpoint.PROMOTION, "carol", null);
    assertEquals(
        "checkpoint promotion is not open; the open checkpoint is data-review",
        problem(early, Channel.UPDATE, AT_DATA_REVIEW));
    assertEquals(null, problem(early, Channel.SIGNAL, AT_DATA_REVIEW));

    DecisionRules.RunState training =
        new DecisionRules.RunState(
            PIPELINE_CHECKPOINTS, Stage.TRAINING, null, Map.of(), null, List.of());
    assertEquals(
        "checkpoint promotion is not open; the run is at stage TRAINING",
        problem(early, Channel.UPDATE, training));
  }

  @Test
  void aCheckpointIsDecidedOnceAndNothingIsDecidedAfterTheEnd() {
    Map<Checkpoint, DecisionRecord> decided = new LinkedHashMap<>();
    decided.put(
        Checkpoint.DATA_REVIEW,
        DecisionRules.record(
            Decision.approve(Checkpoint.DATA_REVIEW, "alice", null), Channel.SIGNAL, 1));
    DecisionRules.RunState atPromotion =
        new DecisionRules.RunState(
            PIPELINE_CHECKPOINTS,
            Stage.PROMOTION_REVIEW,
            Checkpoint.PROMOTION,
            decided,
            null,
            List.of());
    assertEquals(
        "checkpoint data-review was already decided (approve by alice)",
        problem(Decision.reject(Checkpoint.DATA_REVIEW, "bob", null), Channel.SIGNAL, atPromotion));

    DecisionRules.RunState over =
        new DecisionRules.RunState(
            PIPELINE_CHECKPOINTS,
            Stage.DONE,
            null,
            Map.of(),
            Outcome.REJECTED_AT_DATA_REVIEW,
            List.of());
    assertEquals(
        "the run is over (REJECTED_AT_DATA_REVIEW)",
        problem(Decision.approve(Checkpoint.PROMOTION, "bob", null), Channel.SIGNAL, over));
  }

  @Test
  void approvingAPromotionThatFailedTheGateIsAnOverride() {
    DecisionRecord approve =
        DecisionRules.record(
            Decision.approve(Checkpoint.PROMOTION, "alice", null), Channel.UPDATE, 1);
    DecisionRecord reject =
        DecisionRules.record(
            Decision.reject(Checkpoint.PROMOTION, "alice", null), Channel.UPDATE, 1);
    DecisionRecord review =
        DecisionRules.record(
            Decision.approve(Checkpoint.DATA_REVIEW, "alice", null), Channel.UPDATE, 1);

    assertTrue(DecisionRules.overridesGate(approve, false));
    assertFalse(DecisionRules.overridesGate(approve, true));
    assertFalse(DecisionRules.overridesGate(reject, false), "rejecting overrides nothing");
    assertFalse(DecisionRules.overridesGate(review, false));
  }

  @Test
  void aCheckpointOfAnotherWorkflowIsRefusedWithWhereToSendIt() {
    String why =
        problem(
            Decision.approve(Checkpoint.ROLLBACK, "alice", null), Channel.SIGNAL, AT_DATA_REVIEW);
    assertTrue(why.contains("rollout-NAME"), why);
  }
}
