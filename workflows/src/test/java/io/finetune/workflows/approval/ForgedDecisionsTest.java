package io.finetune.workflows.approval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.FakeActivities;
import io.finetune.workflows.Histories;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.pipeline.Channel;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionProof;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.pipeline.RefusedDecision;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.rollout.Rollout;
import io.finetune.workflows.rollout.RolloutActivities.Verdict;
import io.finetune.workflows.rollout.RolloutStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.testing.TestWorkflowEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Decisions nobody can forge: with {@code approval.requireToken}, a decision counts only with the
 * proof of its approver's token, checked before it is applied. Every forged attempt here must be
 * refused with its reason and recorded; the count is written to {@code
 * target/security/forged-decisions.txt} for CI's summary line.
 */
class ForgedDecisionsTest {
  private static final AtomicInteger ATTEMPTED = new AtomicInteger();
  private static final AtomicInteger REFUSED = new AtomicInteger();

  private TestWorkflowEnvironment env;
  private FakeActivities activities;
  private WorkflowClient client;
  private String aliceToken;
  private String bobToken;

  @BeforeEach
  void setUp() {
    activities = new FakeActivities();
    activities.exactMatchByModel.put("local-large", 0.60);
    activities.exactMatchByModel.put("ft:local-small", 0.80);
    activities.exactMatchByModel.put("ft:local-medium", 0.92);
    aliceToken = activities.addToken("tok_alice", TokenCheck.APPROVER, "alice");
    bobToken = activities.addToken("tok_bob", TokenCheck.APPROVER, "bob");
    env = activities.startEnvironment();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  @AfterAll
  static void writeCount() throws IOException {
    Path file = Path.of("target/security/forged-decisions.txt");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "refused " + REFUSED.get() + " of " + ATTEMPTED.get() + "\n");
  }

  static PipelineSpec requiringTokens(List<String> approvers) {
    return withApproval(
        FakeActivities.spec(List.of(Size.SMALL), approvers),
        new PipelineSpec.Approval(approvers, null, null, true));
  }

  private static PipelineSpec withApproval(PipelineSpec s, PipelineSpec.Approval approval) {
    return new PipelineSpec(
        s.name(),
        s.dataset(),
        s.outputFields(),
        s.evalSets(),
        s.prompt(),
        s.target(),
        s.model(),
        s.provider(),
        s.split(),
        approval,
        s.drift(),
        s.judge(),
        s.task(),
        s.fieldTypes(),
        s.rollout(),
        s.fieldValues(),
        s.answerSchema());
  }

  private FineTunePipeline start(String id, PipelineSpec spec) {
    FineTunePipeline p =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    WorkflowClient.start(p::run, new PipelineInput(spec, "test"));
    return p;
  }

  private static String runId(Object stub) {
    return WorkflowStub.fromTyped(stub).getExecution().getRunId();
  }

  /** {@code d} with the proof that {@code token} makes for it on {@code runId} of {@code id}. */
  private static Decision signed(
      Decision d, String tokenId, String token, String id, String runId) {
    return d.withProof(tokenId, DecisionProof.sign(DecisionProof.sha256Hex(token), id, runId, d));
  }

  /** A forged Update: refused to its sender with {@code reason}, recorded, nothing decided. */
  private void forgedUpdate(FineTunePipeline p, Decision d, String reason) {
    ATTEMPTED.incrementAndGet();
    int before = p.status().refusedDecisions().size();
    WorkflowUpdateException e = assertThrows(WorkflowUpdateException.class, () -> p.decide(d));
    String message = String.valueOf(e.getCause().getMessage());
    assertTrue(message.contains(reason), "expected '" + reason + "' in: " + message);
    PipelineStatus s = p.status();
    assertTrue(s.decisions().stream().noneMatch(r -> r.checkpoint() == s.pendingCheckpoint()));
    assertEquals(before + 1, s.refusedDecisions().size());
    RefusedDecision refused = s.refusedDecisions().get(before);
    assertEquals(d.by(), refused.claimed().by());
    assertEquals(Channel.UPDATE, refused.via());
    assertTrue(refused.reason().contains(reason), refused.reason());
    assertTrue(refused.atMillis() > 0);
    REFUSED.incrementAndGet();
  }

  /** A forged Signal: recorded as refused with {@code reason}; the checkpoint stays open. */
  private void forgedSignal(FineTunePipeline p, Decision d, String reason) throws Exception {
    ATTEMPTED.incrementAndGet();
    int before = p.status().refusedDecisions().size();
    p.decision(d);
    PipelineStatus s = awaitStatus(p, x -> x.refusedDecisions().size() > before);
    RefusedDecision refused = s.refusedDecisions().get(before);
    assertEquals(Channel.SIGNAL, refused.via());
    assertTrue(refused.reason().contains(reason), refused.reason());
    assertTrue(s.decisions().stream().noneMatch(r -> r.checkpoint() == s.pendingCheckpoint()));
    assertTrue(s.pendingCheckpoint() != null, "the checkpoint still waits");
    REFUSED.incrementAndGet();
  }

  private static PipelineStatus awaitStatus(FineTunePipeline p, Predicate<PipelineStatus> until)
      throws InterruptedException {
    for (int i = 0; i < 1200; i++) {
      PipelineStatus s = p.status();
      if (until.test(s)) {
        return s;
      }
      Thread.sleep(25);
    }
    throw new AssertionError("status never matched; last: " + p.status());
  }

  @Test
  void everyForgedDecisionIsRefusedWithItsReasonAndRecorded() throws Exception {
    FineTunePipeline p = start("forged", requiringTokens(List.of("alice", "bob")));
    assertEquals(Checkpoint.DATA_REVIEW, p.waitUntilDecisionNeeded().pendingCheckpoint());
    String id = "forged";
    String run = runId(p);
    Decision approve = Decision.approve(Checkpoint.DATA_REVIEW, "alice", "labels look right");

    // --by alone, as before tokens.
    forgedUpdate(p, approve, "carries no approver token");
    // The Web UI's signal dialog cannot make a proof either.
    forgedSignal(p, approve, "carries no approver token");
    // A made-up proof, a token id nobody issued.
    forgedUpdate(p, approve.withProof("tok_alice", "00".repeat(32)), "proof does not match");
    forgedUpdate(
        p, signed(approve, "tok_nobody", aliceToken, id, run), "no token has the id tok_nobody");
    // A real proof, of another run of this id, of another checkpoint, of another comment.
    forgedUpdate(
        p,
        signed(approve, "tok_alice", aliceToken, id, UUID.randomUUID().toString()),
        "proof does not match");
    Decision promotion = Decision.approve(Checkpoint.PROMOTION, "alice", "labels look right");
    forgedUpdate(
        p,
        approve.withProof("tok_alice", signed(promotion, "tok_alice", aliceToken, id, run).proof()),
        "proof does not match");
    forgedUpdate(
        p,
        new Decision(
            approve.checkpoint(),
            approve.action(),
            approve.by(),
            "something else",
            "tok_alice",
            signed(approve, "tok_alice", aliceToken, id, run).proof()),
        "proof does not match");
    // A reject turned into an approve.
    Decision reject = Decision.reject(Checkpoint.DATA_REVIEW, "alice", "labels look right");
    forgedUpdate(
        p,
        approve.withProof("tok_alice", signed(reject, "tok_alice", aliceToken, id, run).proof()),
        "proof does not match");
    // Bob's token, with bob's valid proof, claiming to be alice.
    forgedUpdate(
        p,
        signed(approve, "tok_bob", bobToken, id, run),
        "is bob's, but the decision is by 'alice'");
    // Alice's token with another token's proof.
    forgedUpdate(
        p,
        approve.withProof("tok_alice", signed(approve, "tok_bob", bobToken, id, run).proof()),
        "proof does not match");
    // A gateway API token cannot approve.
    String gateway = activities.addToken("tok_gateway", TokenCheck.GATEWAY, null);
    forgedUpdate(
        p,
        signed(approve, "tok_gateway", gateway, id, run),
        "is a gateway token, which cannot approve");
    // A revoked approver token.
    activities.revokeToken("tok_alice");
    forgedUpdate(p, signed(approve, "tok_alice", aliceToken, id, run), "was revoked");
    forgedSignal(p, signed(approve, "tok_alice", aliceToken, id, run), "was revoked");
    // An approver token of someone not among this run's approvers.
    String carolToken = activities.addToken("tok_carol", TokenCheck.APPROVER, "carol");
    Decision byCarol = Decision.approve(Checkpoint.DATA_REVIEW, "carol", null);
    // (the rules refuse her Update before any token is checked; her signal gets to the check)
    assertThrows(
        WorkflowUpdateException.class,
        () -> p.decide(signed(byCarol, "tok_carol", carolToken, id, run)));

    PipelineStatus s = p.status();
    assertEquals(Checkpoint.DATA_REVIEW, s.pendingCheckpoint(), "nothing was decided");
    assertTrue(s.decisions().isEmpty(), s.decisions().toString());
    assertTrue(activities.promotions.isEmpty());
    // The token never reaches the run: only its id and the proof do.
    // Protobuf's text form shows every payload's bytes, printable ones as they are.
    String history = client.fetchHistory(id).getHistory().toString();
    assertFalse(history.contains(aliceToken), "the token is in the history");
    assertFalse(history.contains(bobToken), "the token is in the history");
    assertTrue(history.contains("tok_alice"));
    WorkflowStub.fromTyped(p).terminate("test over");
  }

  @Test
  void theRightTokenDecidesAndTheRecordSaysVerified() throws Exception {
    FineTunePipeline p = start("verified", requiringTokens(List.of()));
    String run = runId(p);
    assertEquals(Checkpoint.DATA_REVIEW, p.waitUntilDecisionNeeded().pendingCheckpoint());
    forgedUpdate(
        p, Decision.approve(Checkpoint.DATA_REVIEW, "alice", null), "carries no approver token");

    DecisionRecord r =
        p.decide(
            signed(
                Decision.approve(Checkpoint.DATA_REVIEW, "alice", "labels look right"),
                "tok_alice",
                aliceToken,
                "verified",
                run));
    assertTrue(r.verified());
    assertEquals("tok_alice", r.tokenId());
    assertEquals("verified (token tok_alice)", r.identity());

    assertEquals(Checkpoint.PROMOTION, p.waitUntilDecisionNeeded().pendingCheckpoint());
    // A signal with a valid proof decides too (bob, by the CLI's proof in a signal).
    p.decision(
        signed(
            Decision.approve(Checkpoint.PROMOTION, "bob", null),
            "tok_bob",
            bobToken,
            "verified",
            run));
    PipelineStatus done = WorkflowStub.fromTyped(p).getResult(PipelineStatus.class);

    assertEquals(Outcome.PROMOTED, done.outcome(), done.outcomeReason());
    assertEquals(2, done.decisions().size());
    assertTrue(done.decisions().stream().allMatch(DecisionRecord::verified));
    assertEquals(Channel.SIGNAL, done.decisions().get(1).via());
    assertEquals("tok_bob", done.decisions().get(1).tokenId());
    assertEquals(1, done.refusedDecisions().size(), "the refusal stays on record");
    assertEquals(2, activities.verifications.size(), "each proof checked once");
    Histories.replayAndMaybeRecord(client, "verified", "fine-tune-pipeline-approver-tokens");
  }

  @Test
  void withoutRequireTokenDecisionsWorkAsBeforeAndAreUnverified() {
    FineTunePipeline p = start("unverified", FakeActivities.spec(List.of(Size.SMALL), List.of()));
    p.waitUntilDecisionNeeded();
    DecisionRecord r = p.decide(Decision.approve(Checkpoint.DATA_REVIEW, "alice", null));
    assertFalse(r.verified());
    assertNull(r.tokenId());
    assertEquals("unverified (--by only)", r.identity());
    p.waitUntilDecisionNeeded();
    p.decide(Decision.reject(Checkpoint.PROMOTION, "alice", null));
    PipelineStatus done = WorkflowStub.fromTyped(p).getResult(PipelineStatus.class);
    assertEquals(Outcome.REJECTED_AT_PROMOTION, done.outcome());
    assertTrue(activities.verifications.isEmpty(), "nothing is checked");
    assertFalse(activities.calls.stream().anyMatch(c -> c.startsWith("verifyDecision")));
  }

  @Test
  void aRolloutOfARunThatRequiresTokensRequiresThemAtItsRollbackCheckpoint() throws Exception {
    activities.exactMatchByModel.put("ft:serving", 0.85);
    activities.slowEvalVerdicts.set(0, Verdict.WORSE);
    activities.current =
        new ModelVersion(
            "triage",
            3,
            "ft:serving",
            "local",
            "small",
            Map.of("exact_match", 0.85),
            FakeActivities.spec(List.of(Size.SMALL), List.of()),
            new DatasetRef("train", "/store/train.jsonl", "sha-train", 900, 900),
            "run-1",
            "alice",
            0);
    PipelineSpec base = requiringTokens(List.of());
    long threeDays = Duration.ofDays(3).toSeconds();
    PipelineSpec spec =
        new PipelineSpec(
            base.name(),
            base.dataset(),
            base.outputFields(),
            base.evalSets(),
            base.prompt(),
            base.target(),
            base.model(),
            base.provider(),
            base.split(),
            base.approval(),
            base.drift(),
            null,
            null,
            null,
            new PipelineSpec.RolloutPolicy(
                0.1, threeDays, 50, 0.05, PipelineSpec.RolloutPolicy.ASK, 0));
    FineTunePipeline p = start("guarded", spec);
    String run = runId(p);
    for (Checkpoint c : List.of(Checkpoint.DATA_REVIEW, Checkpoint.PROMOTION)) {
      assertEquals(c, p.waitUntilDecisionNeeded().pendingCheckpoint());
      p.decide(signed(Decision.approve(c, "alice", null), "tok_alice", aliceToken, "guarded", run));
    }
    Rollout rollout = client.newWorkflowStub(Rollout.class, Rollout.workflowId("triage"));
    awaitRollout(rollout, s -> s.canaryFromMillis() > 0);
    env.sleep(Duration.ofSeconds(threeDays + 60));
    awaitRollout(rollout, s -> s.pendingCheckpoint() != null);
    String rolloutRun = WorkflowStub.fromTyped(rollout).describe().getExecution().getRunId();
    Decision rollBack = Decision.approve(Checkpoint.ROLLBACK, "bob", null);

    ATTEMPTED.incrementAndGet();
    WorkflowUpdateException e =
        assertThrows(WorkflowUpdateException.class, () -> rollout.decide(rollBack));
    assertTrue(e.getCause().getMessage().contains("carries no approver token"), e.toString());
    ATTEMPTED.incrementAndGet();
    // A proof made for the pipeline's run is no good on the rollout's.
    assertThrows(
        WorkflowUpdateException.class,
        () -> rollout.decide(signed(rollBack, "tok_bob", bobToken, "guarded", run)));
    RolloutStatus s = rollout.status();
    assertEquals(2, s.refusedDecisions().size());
    assertTrue(s.decisions().isEmpty());
    REFUSED.addAndGet(2);

    DecisionRecord r =
        rollout.decide(
            signed(rollBack, "tok_bob", bobToken, Rollout.workflowId("triage"), rolloutRun));
    assertTrue(r.verified());
    PipelineStatus done = WorkflowStub.fromTyped(p).getResult(PipelineStatus.class);
    assertEquals(Outcome.ROLLED_BACK, done.outcome());
    assertTrue(
        done.rollout().reason().contains("bob, verified (token tok_bob), confirmed the rollback"),
        done.rollout().reason());
  }

  private static RolloutStatus awaitRollout(Rollout rollout, Predicate<RolloutStatus> until)
      throws InterruptedException {
    RolloutStatus last = null;
    for (int i = 0; i < 1200; i++) {
      try {
        last = rollout.status();
        if (until.test(last)) {
          return last;
        }
      } catch (RuntimeException notYetStarted) {
        // the child starts once the pipeline has promoted
      }
      Thread.sleep(25);
    }
    throw new AssertionError("rollout status never matched; last: " + last);
  }
}
