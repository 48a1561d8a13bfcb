package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.spec.SpecLoader;
import io.finetune.gateway.ApiTokens;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionProof;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.testing.TestWorkflowEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The worker as configured checks approver tokens: a run whose spec sets approval.requireToken
 * refuses a decision without a token's proof or with a gateway token's, and applies one proved by
 * an approver token that {@code ./finetune tokens create --approver} made, in the worker's own
 * database. The token appears in no log line.
 */
@SpringBootTest(
    properties = {
      "spring.temporal.test-server.enabled=true",
      "spring.temporal.connection.target=local",
      "finetune.home=${java.io.tmpdir}/finetune-worker-test-${random.uuid}"
    })
@ExtendWith(OutputCaptureExtension.class)
class ApproverTokensWorkerTest {
  private static final Path EXAMPLE = Path.of("../examples/ticket-triage");

  @Autowired WorkflowClient client;

  @Autowired TestWorkflowEnvironment testServer;

  @Autowired DataSource db;

  @BeforeEach
  void registerSearchAttributes() {
    FinetuneSearchAttributes.definitions().forEach(testServer::registerSearchAttribute);
  }

  @Test
  void onlyAnApproverTokensProofDecides(CapturedOutput output) throws Exception {
    assertTrue(Files.isDirectory(EXAMPLE), EXAMPLE.toAbsolutePath().toString());
    PipelineSpec s = SpecLoader.load(EXAMPLE.resolve("spec.yaml")).withSizes(List.of(Size.SMALL));
    PipelineSpec spec =
        new PipelineSpec(
            s.name(),
            s.dataset(),
            s.outputFields(),
            s.evalSets(),
            s.prompt(),
            s.target(),
            s.model(),
            s.provider(),
            s.split(),
            new PipelineSpec.Approval(List.of("alice"), null, null, true),
            s.drift(),
            s.judge(),
            s.task(),
            s.fieldTypes(),
            s.rollout(),
            s.fieldValues(),
            s.answerSchema());
    String id = "approver-tokens";
    FineTunePipeline pipeline =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    String run = WorkflowClient.start(pipeline::run, new PipelineInput(spec, "test")).getRunId();
    assertEquals(Checkpoint.DATA_REVIEW, pipeline.waitUntilDecisionNeeded().pendingCheckpoint());

    ApiTokens tokens = new ApiTokens(db);
    ApiTokens.Created alice = tokens.createApprover("alice", null);
    ApiTokens.Created gateway = tokens.create("support-app");
    Decision approve = Decision.approve(Checkpoint.DATA_REVIEW, "alice", "labels look right");

    assertRefused(pipeline, approve, "carries no approver token");
    assertRefused(pipeline, signed(approve, gateway, id, run), "cannot approve or reject");
    assertRefused(pipeline, signed(approve, alice, id, "another-run"), "proof does not match");

    DecisionRecord r = pipeline.decide(signed(approve, alice, id, run));
    assertTrue(r.verified());
    assertEquals("verified (token " + alice.info().id() + ")", r.identity());
    PipelineStatus st = pipeline.waitUntilDecisionNeeded();
    assertEquals(Checkpoint.PROMOTION, st.pendingCheckpoint(), "stage " + st.stage());
    assertEquals(3, st.refusedDecisions().size());

    tokens.revoke(alice.info().id());
    assertRefused(
        pipeline,
        signed(Decision.reject(Checkpoint.PROMOTION, "alice", "test over"), alice, id, run),
        "was revoked");
    WorkflowStub.fromTyped(pipeline).terminate("test over");

    String secret = alice.token().substring(alice.token().indexOf('.') + 1);
    assertFalse(output.getAll().contains(secret), "the approver token is in a log line");
    assertFalse(
        client.fetchHistory(id).getHistory().toString().contains(secret),
        "the approver token is in the history");
  }

  private static Decision signed(Decision d, ApiTokens.Created token, String id, String run) {
    return d.withProof(
        token.info().id(), DecisionProof.sign(DecisionProof.sha256Hex(token.token()), id, run, d));
  }

  private static void assertRefused(FineTunePipeline p, Decision d, String reason) {
    WorkflowUpdateException e = assertThrows(WorkflowUpdateException.class, () -> p.decide(d));
    String message = String.valueOf(e.getCause().getMessage());
    assertTrue(message.contains(reason), "expected '" + reason + "' in: " + message);
  }
}
