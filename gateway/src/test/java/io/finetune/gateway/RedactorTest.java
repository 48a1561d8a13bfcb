package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedactorTest {
  private final Redactor redactor = new Redactor();

  @Test
  void emailAddressesPhoneAndCardNumbersBecomeTokens() {
    assertEquals(
        "write to [email] now", redactor.redact("write to jane.doe+x@mail.example.co.uk now"));
    assertEquals("[email], [email]", redactor.redact("a@b.io, first.last@sub.example.org"));
    for (String phone :
        List.of(
            "+1 (555) 123-4567",
            "(555) 123-4567",
            "555-123-4567",
            "555.123.4567",
            "+44 20 7946 0958",
            "+49 30 12345678",
            "5551234567",
            "555-1234")) {
      assertEquals("call [phone] today", redactor.redact("call " + phone + " today"), phone);
    }
    for (String card :
        List.of(
            "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "378282246310005")) {
      assertEquals("card [card].", redactor.redact("card " + card + "."), card);
    }
  }

  @Test
  void numbersThatAreNotPersonalDataStay() {
    for (String text :
        List.of(
            "I need a refund for order #74790. Using a Mac.",
            "Call back on 2024-03-21 or 21.03.2024, about invoice 1234567.",
            "It costs $1,299.99 and weighs 12.5 kg",
            "version 2.3.1, ticket 20240321",
            "4111 1111 1111 1112 fails the Luhn check (and is too long for a phone number)")) {
      assertEquals(text, redactor.redact(text));
    }
  }

  @Test
  void configuredRulesRunFirstAndNameTheirToken() {
    Redactor withRules =
        new Redactor(
            List.of(
                Redactor.Rule.of("customer_id", "CUST-\\d{6,10}"),
                Redactor.Rule.of("iban", "\\b[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\\b")));
    assertEquals(
        "customer [customer_id] pays from [iban], mail [email]",
        withRules.redact(
            "customer CUST-5551234567 pays from DE89 3704 0044 0532 0130 00, mail x@y.de"));
    assertEquals(List.of("customer_id", "iban"), withRules.ruleNames());
  }

  @Test
  void aRuleThatCannotBeUsedIsRefusedSayingWhy() {
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> Redactor.Rule.of("ids", "ID-(\\d+"));
    assertTrue(bad.getMessage().startsWith("Redaction rule 'ids' has an invalid pattern"));
    assertThrows(IllegalArgumentException.class, () -> Redactor.Rule.of("Bad Name", "x"));
    assertThrows(IllegalArgumentException.class, () -> Redactor.Rule.of("empty", ""));
  }

  @Test
  void jsonIsRedactedInEveryValueButItsKeys() throws Exception {
    var json =
        GatewayFixture.JSON.readTree(
            "{\"a@b.io\":[{\"role\":\"user\",\"content\":\"hi a@b.io\",\"n\":5551234567,\"t\":0.2}]}");
    assertEquals(
        "{\"a@b.io\":[{\"role\":\"user\",\"content\":\"hi [email]\",\"n\":\"[phone]\",\"t\":0.2}]}",
        redactor.redact(json).toString());
  }

  /**
   * Found by {@link FeedbackFuzzTest}: a correction of 70,000 letters (the limit is 100,000) took
   * longer than 5 s to redact, as the e-mail pattern tried each letter as the start of an address;
   * and an address with 50,000 labels overflowed the stack.
   */
  @Test
  void longWordsAreRedactedInLinearTime() {
    for (String text :
        List.of(
            "x".repeat(100_000),
            "a.".repeat(50_000),
            "a@" + "b.".repeat(50_000),
            "1".repeat(100_000),
            "1 ".repeat(50_000),
            "+1-".repeat(30_000))) {
      String redacted =
          assertTimeoutPreemptively(Duration.ofSeconds(2), () -> redactor.redact(text));
      assertTrue(redacted.length() > 0);
    }
    assertEquals("[email]", redactor.redact("a.b@example.com"));
    assertEquals("[email]", redactor.redact("a@" + "b.".repeat(20) + "com"));
    assertEquals("x".repeat(10_000) + " [email]", redactor.redact("x".repeat(10_000) + " a@b.io"));
  }
}
