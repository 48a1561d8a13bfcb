package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class ApiTokensTest {
  private final DataSource db = GatewayFixture.migratedH2();
  private final ApiTokens tokens = new ApiTokens(db);

  @Test
  void aTokenIsShownOnceAndOnlyItsHashIsStored() throws Exception {
    ApiTokens.Created created = tokens.create("support-app");

    assertTrue(created.token().startsWith(ApiTokens.PREFIX));
    assertTrue(created.token().length() > 40, "32 random bytes");
    assertFalse(created.toString().contains(created.token()), "never in a log line");
    assertEquals(created.info(), tokens.verify(created.token()).orElseThrow());
    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT * FROM api_tokens")) {
      ResultSetMetaData meta = rs.getMetaData();
      assertTrue(rs.next());
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        String v = String.valueOf(rs.getString(i));
        assertFalse(v.contains(created.token().substring(ApiTokens.PREFIX.length())), v);
      }
      assertEquals(ApiTokens.sha256(created.token()), rs.getString("token_sha256"));
    }
  }

  @Test
  void unknownAndRevokedTokensAreRefused() {
    ApiTokens.Created a = tokens.create("a");
    ApiTokens.Created b = tokens.create("b");
    assertNotEquals(a.token(), b.token());

    assertTrue(tokens.verify("ftgw-guess").isEmpty());
    assertTrue(tokens.verify("").isEmpty());
    assertTrue(tokens.verify(null).isEmpty());
    assertNotNull(tokens.revoke("a").orElseThrow().revokedAtMillis());
    assertTrue(tokens.verify(a.token()).isEmpty(), "revoked by name");
    assertTrue(tokens.verify(b.token()).isPresent(), "the other one still works");
    tokens.revoke(b.info().id());
    assertTrue(tokens.verify(b.token()).isEmpty(), "revoked by id");
    assertTrue(tokens.revoke("a").isEmpty(), "nothing active left to revoke");
    assertEquals(2, tokens.list().size());
  }

  @Test
  void aNameIsTakenWhileItsTokenIsActive() {
    tokens.create("app");
    IllegalArgumentException taken =
        assertThrows(IllegalArgumentException.class, () -> tokens.create("app"));
    assertTrue(taken.getMessage().contains("revoke it first"), taken.getMessage());
    tokens.revoke("app");
    assertTrue(tokens.verify(tokens.create("app").token()).isPresent());
    assertThrows(IllegalArgumentException.class, () -> tokens.create("has space"));
  }
}
