package io.finetune.activities.approval;

import io.finetune.workflows.approval.ApproverActivities;
import io.finetune.workflows.approval.TokenCheck;
import io.finetune.workflows.approval.TokenCheck.StoredToken;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a decision's approver token in the worker's database (table {@code api_tokens}, where the
 * gateway's tokens are too, told apart by {@code kind}): only the token's SHA-256 is there, which
 * is all a proof needs ({@link TokenCheck}). A database that does not answer fails the activity,
 * which is retried; a refusal is a result.
 */
public class ApproverActivitiesImpl implements ApproverActivities {
  private static final Logger log = LoggerFactory.getLogger(ApproverActivitiesImpl.class);

  private final DataSource db;

  public ApproverActivitiesImpl(DataSource db) {
    this.db = db;
  }

  @Override
  public Verification verifyDecision(VerifyRequest r) {
    String id = r.decision().tokenId();
    StoredToken stored = id == null ? null : find(id);
    Verification v = TokenCheck.verify(stored, r);
    if (v.verified()) {
      log.info(
          "Verified {} at {} of {} by '{}' (token {})",
          r.decision().action(),
          r.decision().checkpoint(),
          r.workflowId(),
          r.decision().by(),
          id);
    } else {
      log.warn(
          "Refused {} at {} of {} claimed by '{}': {}",
          r.decision().action(),
          r.decision().checkpoint(),
          r.workflowId(),
          r.decision().by(),
          v.reason());
    }
    return v;
  }

  /** The token with this id, revoked or not, of either kind; null when there is none. */
  StoredToken find(String id) {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, kind, approver, token_sha256, revoked_at FROM api_tokens WHERE id = ?")) {
      s.setString(1, id);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        long revokedAt = rs.getLong("revoked_at");
        Long revoked = rs.wasNull() ? null : revokedAt;
        return new StoredToken(
            rs.getString("id"),
            rs.getString("kind"),
            rs.getString("approver"),
            rs.getString("token_sha256").trim(),
            revoked);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot read the approver tokens (api_tokens): " + e.getMessage(), e);
    }
  }
}
