package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.provider.ChatMessage;
import io.finetune.gateway.TraceRows.Line;
import io.finetune.gateway.TraceRows.TraceRow;
import io.finetune.workflows.spec.PipelineSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A trace as a row of each dataset format, its correction as the label. */
class TraceRowsTest {
  private static final List<ChatMessage> SENT =
      List.of(
          ChatMessage.system("Triage."),
          ChatMessage.user("hello"),
          new ChatMessage(ChatMessage.ASSISTANT, "hi"),
          ChatMessage.user("I was charged twice"));

  private static PipelineSpec spec(String format, String task) {
    return new PipelineSpec(
        "m",
        new PipelineSpec.Dataset("/d.jsonl", "q", "a", format),
        "text".equals(task) ? List.of() : List.of("category"),
        List.of(),
        "p",
        null,
        null,
        "local",
        null,
        null,
        null,
        null,
        task);
  }

  private static TraceRow row(String fix) {
    return new TraceRow("t", 1, 1, SENT, fix);
  }

  @Test
  void eachFormatHoldsTheLastUserMessageAndTheCorrection() {
    String fix = "{\"category\": \"billing\"}";
    assertEquals(
        "{\"q\":\"I was charged twice\",\"a\":{\"category\":\"billing\"}}",
        TraceRows.inModelFormat(row(fix), spec("fields", null)).json().toString());
    assertEquals(
        "{\"q\":\"I was charged twice\",\"a\":\"{\\\"category\\\":\\\"billing\\\"}\"}",
        TraceRows.inModelFormat(row(fix), spec("json-string", null)).json().toString());
    assertEquals(
        "{\"q\":\"I was charged twice\",\"a\":\"Sorry, refunded.\"}",
        TraceRows.inModelFormat(row("Sorry, refunded."), spec("text", "text")).json().toString());
    // A chat-format model keeps the conversation; the correction is the last assistant turn.
    String chat = TraceRows.inModelFormat(row(fix), spec("chat", null)).json().toString();
    assertTrue(chat.startsWith("{\"messages\":[{\"role\":\"system\""), chat);
    assertTrue(
        chat.endsWith(
            "{\"role\":\"user\",\"content\":\"I was charged twice\"},{\"role\":\"assistant\","
                + "\"content\":\"{\\\"category\\\":\\\"billing\\\"}\"}]}"),
        chat);
  }

  @Test
  void anUncorrectedTraceIsUnlabeled_andACorrectionThatIsNoAnswerToo() {
    Line none = TraceRows.inModelFormat(row(null), spec("fields", null));
    assertFalse(none.labeled());
    assertEquals("{\"q\":\"I was charged twice\"}", none.json().toString());
    Line prose = TraceRows.inModelFormat(row("it is billing"), spec("fields", null));
    assertFalse(prose.labeled());
    assertTrue(prose.unusableFix());
    assertTrue(TraceRows.inChatFormat(row("it is billing")).labeled(), "chat takes any text");
  }

  @Test
  void theStoredRequestIsReadUpToItsLastUserMessageAndRedactedAgain() {
    String stored =
        "[{\"role\":\"system\",\"content\":\"Triage.\"},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"CUST-123456 here\"}]},"
            + "{\"role\":\"assistant\",\"content\":\"noted\"},{\"role\":\"tool\",\"content\":\"x\"}]";
    List<ChatMessage> messages =
        TraceRows.untilLastUser(
            stored, new Redactor(List.of(Redactor.Rule.of("customer_id", "CUST-[0-9]{6}"))));
    assertEquals(
        List.of(ChatMessage.system("Triage."), ChatMessage.user("[customer_id] here")), messages);
    assertEquals(
        List.of(),
        TraceRows.untilLastUser("[{\"role\":\"system\",\"content\":\"x\"}]", new Redactor()));
  }
}
