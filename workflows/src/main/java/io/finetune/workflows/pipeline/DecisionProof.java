package io.finetune.workflows.pipeline;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The proof that a decision was sent by the holder of an approver token, without the token ever
 * travelling: HMAC-SHA256 keyed with SHA-256(token) over a canonical text of the run (workflow id
 * and run id) and the decision (checkpoint, action, by, comment). The CLI, which holds the token,
 * signs; the worker, which keeps only SHA-256(token), checks. A proof cannot be reused for another
 * run, checkpoint, action, approver or comment.
 *
 * <p>The consequence of keeping SHA-256(token) as the key: whoever can read the worker's database
 * can forge decisions. Plain Java, no workflow API: called by the CLI and by an activity.
 */
public final class DecisionProof {
  /** Names the format, so that a later one cannot be confused with it. */
  private static final String VERSION = "finetune-decision-proof-v1";

  private DecisionProof() {}

  /** SHA-256 of a token, as hex: what the worker's database keeps of it. */
  public static String sha256Hex(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e); // every JVM has SHA-256
    }
  }

  /**
   * The text signed: each field length-prefixed (a null one as {@code -}), so that no two different
   * decisions read the same. The action is lowercased, as the rules read it.
   */
  public static String canonical(String workflowId, String runId, Decision d) {
    StringBuilder b = new StringBuilder(VERSION);
    for (String field :
        java.util.Arrays.asList(
            workflowId,
            runId,
            d.checkpoint(),
            d.action() == null ? null : d.action().toLowerCase(Locale.ROOT),
            d.by(),
            d.comment())) {
      b.append('\n');
      if (field == null) {
        b.append('-');
      } else {
        b.append(field.length()).append(':').append(field);
      }
    }
    return b.toString();
  }

  /** The proof of {@code d} on run {@code runId} of {@code workflowId} by the token so hashed. */
  public static String sign(String tokenSha256Hex, String workflowId, String runId, Decision d) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(HexFormat.of().parseHex(tokenSha256Hex), "HmacSHA256"));
      return HexFormat.of()
          .formatHex(mac.doFinal(canonical(workflowId, runId, d).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e); // every JVM has HmacSHA256
    }
  }

  /** Whether {@code d}'s proof is the one the token so hashed makes for it on this run. */
  public static boolean matches(
      String tokenSha256Hex, String workflowId, String runId, Decision d) {
    if (d.proof() == null) {
      return false;
    }
    byte[] expected =
        sign(tokenSha256Hex, workflowId, runId, d).getBytes(StandardCharsets.US_ASCII);
    byte[] given = d.proof().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, given); // constant time
  }
}
