package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.approval.ApproverActivitiesImpl;
import io.finetune.workflows.approval.ApproverActivities.Verification;
import io.finetune.workflows.approval.ApproverActivities.VerifyRequest;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionProof;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Approver tokens as {@code ./finetune tokens create --approver} makes them and as the worker's
 * activity checks them, on a database migrated by the worker's scripts (H2).
 */
class ApproverTokensTest {
  private final DataSource db = GatewayFixture.migratedH2();
  private final ApiTokens tokens = new ApiTokens(db);
  private final ApproverActivitiesImpl activity = new ApproverActivitiesImpl(db);

  private static final Decision APPROVE =
      Decision.approve(Checkpoint.DATA_REVIEW, "alice", "labels look right");

  private static VerifyRequest signed(String tokenId, String token, Decision d, String runId) {
    return new VerifyRequest(
        "triage-1",
        runId,
        d.withProof(
            tokenId, DecisionProof.sign(DecisionProof.sha256Hex(token), "triage-1", runId, d)),
        List.of("alice", "bob"));
  }

  @Test
  void anApproverTokenVerifiesItsApproversDecisionsOnly() throws Exception {
    ApiTokens.Created alice = tokens.createApprover("alice", null);
    assertTrue(alice.token().startsWith(ApiTokens.APPROVER_PREFIX), "recognisable if leaked");
    assertEquals("approver-alice", alice.info().name());
    assertEquals(ApiTokens.APPROVER, alice.info().kind());
    assertEquals("alice", alice.info().approver());
    assertFalse(alice.toString().contains(alice.token()));
    assertEquals(alice.info().id(), ApiTokens.approverTokenId(alice.token()).orElseThrow());
    assertTrue(ApiTokens.approverTokenId("ftap-tok_123.abc").isEmpty());
    assertTrue(ApiTokens.approverTokenId(null).isEmpty());
    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT * FROM api_tokens")) {
      assertTrue(rs.next());
      assertEquals("approver", rs.getString("kind"));
      assertEquals(DecisionProof.sha256Hex(alice.token()), rs.getString("token_sha256"));
    }

    Verification ok =
        activity.verifyDecision(signed(alice.info().id(), alice.token(), APPROVE, "r1"));
    assertTrue(ok.verified(), ok.reason());
    assertEquals(alice.info().id(), ok.tokenId());

    // Another run, another decision text, another name: refused.
    VerifyRequest forOtherRun = signed(alice.info().id(), alice.token(), APPROVE, "r1");
    assertRefused(
        new VerifyRequest("triage-1", "r2", forOtherRun.decision(), List.of()),
        "proof does not match");
    Decision bob = Decision.approve(Checkpoint.DATA_REVIEW, "bob", null);
    assertRefused(signed(alice.info().id(), alice.token(), bob, "r1"), "is alice's");
    assertRefused(signed("tok_0000000000000000", alice.token(), APPROVE, "r1"), "no token has");
    assertRefused(
        new VerifyRequest("triage-1", "r1", APPROVE, List.of()), "carries no approver token");

    // The gateway does not take an approver token.
    assertTrue(tokens.verify(alice.token()).isEmpty(), "an approver token cannot call the gateway");

    tokens.revoke("approver-alice");
    assertRefused(signed(alice.info().id(), alice.token(), APPROVE, "r1"), "was revoked");
  }

  @Test
  void aGatewayTokenCannotApprove() {
    ApiTokens.Created app = tokens.create("support-app");
    assertEquals(ApiTokens.GATEWAY, app.info().kind());
    assertTrue(ApiTokens.approverTokenId(app.token()).isEmpty());
    assertNull(app.info().approver());
    assertTrue(tokens.verify(app.token()).isPresent());
    assertRefused(
        signed(app.info().id(), app.token(), APPROVE, "r1"), "is a gateway token, which cannot");
  }

  @Test
  void listingShowsKindAndApproverAndBadNamesAreRefused() {
    tokens.create("support-app");
    tokens.createApprover("bob@example.com", "bob-laptop");
    List<ApiTokens.TokenInfo> all = tokens.list();
    assertEquals(
        List.of("gateway", "approver"), all.stream().map(ApiTokens.TokenInfo::kind).toList());
    assertEquals("bob@example.com", all.get(1).approver());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> tokens.createApprover("bob smith", null));
    assertTrue(e.getMessage().contains("--by"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> tokens.createApprover("bob", "bob-laptop"));
    assertTrue(e.getMessage().contains("already"), e.getMessage());
  }

  private void assertRefused(VerifyRequest r, String reason) {
    Verification v = activity.verifyDecision(r);
    assertFalse(v.verified());
    assertTrue(v.reason().contains(reason), "expected '" + reason + "' in: " + v.reason());
  }
}
