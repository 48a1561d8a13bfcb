package io.finetune.gateway;

import io.finetune.workflows.approval.TokenCheck;
import io.finetune.workflows.pipeline.DecisionProof;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The gateway's API tokens and the approvers' tokens (table {@code api_tokens}, told apart by their
 * {@code kind}: a gateway token cannot approve, an approver token cannot call the gateway). A token
 * is 32 random bytes, shown once when it is created; only its SHA-256 is stored, so the database
 * cannot give a token away. A random token needs no slow hash: there is nothing to guess from its
 * digest. An approver token's SHA-256 is also the key of the proofs its decisions carry ({@link
 * DecisionProof}): whoever can read this table can forge decisions.
 */
public final class ApiTokens {
  /** Tokens start with this, so that a leaked one is recognisable (secret scanners, logs). */
  public static final String PREFIX = "ftgw-";

  /** Approver tokens start with this. */
  public static final String APPROVER_PREFIX = "ftap-";

  /** Gateway API tokens (the default kind). */
  public static final String GATEWAY = TokenCheck.GATEWAY;

  /** Approver tokens. */
  public static final String APPROVER = TokenCheck.APPROVER;

  private static final Pattern APPROVER_TOKEN =
      Pattern.compile(Pattern.quote(APPROVER_PREFIX) + "(tok_[0-9a-f]{16})\\.[A-Za-z0-9_-]{43}");

  private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._@-]{0,99}";

  private static final String COLUMNS = "id, name, created_at, revoked_at, kind, approver";
  private static final SecureRandom RANDOM = new SecureRandom();
  private final DataSource db;

  public ApiTokens(DataSource db) {
    this.db = db;
  }

  /**
   * A token's record: never the token itself. {@code kind}: {@link #GATEWAY} or {@link #APPROVER};
   * {@code approver}: who an approver token decides as (null for gateway tokens).
   */
  public record TokenInfo(
      String id,
      String name,
      long createdAtMillis,
      Long revokedAtMillis,
      String kind,
      String approver) {}

  /** A new token: {@code token} is its only copy, to be shown to the user once. */
  public record Created(TokenInfo info, String token) {
    @Override
    public String toString() {
      return "Created[info=" + info + ", token=***]";
    }
  }

  /**
   * Creates a token called {@code name}; refused when an active token has that name already.
   *
   * @throws IllegalArgumentException for a name that cannot be used, saying why
   */
  public Created create(String name) {
    return create(name, GATEWAY, null);
  }

  /**
   * Creates an approver token for {@code approver} (who its decisions are by), called {@code name}
   * (null: {@code approver-NAME}).
   *
   * @throws IllegalArgumentException for a name that cannot be used, saying why
   */
  public Created createApprover(String approver, String name) {
    if (approver == null || !approver.matches(NAME)) {
      throw new IllegalArgumentException(
          "Approver '"
              + approver
              + "' must be 1-100 letters, digits, '.', '_', '@' or '-', starting with a letter or"
              + " digit: the name decisions give with --by");
    }
    return create(name == null ? "approver-" + approver : name, APPROVER, approver);
  }

  private Created create(String name, String kind, String approver) {
    if (name == null || !name.matches(NAME)) {
      throw new IllegalArgumentException(
          "Token name '"
              + name
              + "' must be 1-100 letters, digits, '.', '_', '@' or '-', starting with a letter or"
              + " digit");
    }
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    byte[] idBytes = new byte[8];
    RANDOM.nextBytes(idBytes);
    String id = "tok_" + HexFormat.of().formatHex(idBytes);
    String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    // An approver token names its id, so that the CLI can say which token proves a decision
    // without reading the database: the id is no secret.
    String token = APPROVER.equals(kind) ? APPROVER_PREFIX + id + "." + encoded : PREFIX + encoded;
    TokenInfo info = new TokenInfo(id, name, System.currentTimeMillis(), null, kind, approver);
    try (Connection c = db.getConnection()) {
      if (active(c, name).isPresent()) {
        throw new IllegalArgumentException(
            "An active token is called '" + name + "' already: revoke it first, or pick a name");
      }
      try (PreparedStatement s =
          c.prepareStatement(
              "INSERT INTO api_tokens (id, name, token_sha256, created_at, kind, approver)"
                  + " VALUES (?, ?, ?, ?, ?, ?)")) {
        s.setString(1, info.id());
        s.setString(2, name);
        s.setString(3, sha256(token));
        s.setLong(4, info.createdAtMillis());
        s.setString(5, kind);
        s.setString(6, approver);
        s.executeUpdate();
      }
      return new Created(info, token);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot store the token: " + e.getMessage(), e);
    }
  }

  /**
   * The id an approver token names ({@code ftap-<id>.<secret>}), or empty when {@code token} is not
   * shaped as one.
   */
  public static Optional<String> approverTokenId(String token) {
    Matcher m = token == null ? null : APPROVER_TOKEN.matcher(token);
    return m != null && m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }

  /**
   * The active gateway token that {@code token} is, if any: empty for unknown and revoked tokens,
   * and for approver tokens, which cannot call the gateway.
   */
  public Optional<TokenInfo> verify(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT "
                    + COLUMNS
                    + " FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL"
                    + " AND kind = 'gateway'")) {
      s.setString(1, sha256(token));
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(info(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the tokens: " + e.getMessage(), e);
    }
  }

  /**
   * Revokes the active token with this id or name; a revoked token is refused from then on.
   *
   * @return the token revoked, or empty when no active token has that id or name
   */
  public Optional<TokenInfo> revoke(String idOrName) {
    try (Connection c = db.getConnection()) {
      Optional<TokenInfo> found = active(c, idOrName);
      if (found.isEmpty()) {
        return found;
      }
      long now = System.currentTimeMillis();
      try (PreparedStatement s =
          c.prepareStatement(
              "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
        s.setLong(1, now);
        s.setString(2, found.get().id());
        s.executeUpdate();
      }
      TokenInfo t = found.get();
      return Optional.of(
          new TokenInfo(t.id(), t.name(), t.createdAtMillis(), now, t.kind(), t.approver()));
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot revoke the token: " + e.getMessage(), e);
    }
  }

  /** Every token, revoked ones too, oldest first. */
  public List<TokenInfo> list() {
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT " + COLUMNS + " FROM api_tokens ORDER BY created_at, id");
        ResultSet rs = s.executeQuery()) {
      List<TokenInfo> out = new ArrayList<>();
      while (rs.next()) {
        out.add(info(rs));
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the tokens: " + e.getMessage(), e);
    }
  }

  private static Optional<TokenInfo> active(Connection c, String idOrName) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT "
                + COLUMNS
                + " FROM api_tokens WHERE (id = ? OR name = ?) AND revoked_at IS NULL")) {
      s.setString(1, idOrName);
      s.setString(2, idOrName);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(info(rs)) : Optional.empty();
      }
    }
  }

  private static TokenInfo info(ResultSet rs) throws SQLException {
    long revokedAt = rs.getLong("revoked_at");
    Long revoked = rs.wasNull() ? null : revokedAt;
    return new TokenInfo(
        rs.getString("id"),
        rs.getString("name"),
        rs.getLong("created_at"),
        revoked,
        rs.getString("kind"),
        rs.getString("approver"));
  }

  static String sha256(String token) {
    return DecisionProof.sha256Hex(token);
  }
}
