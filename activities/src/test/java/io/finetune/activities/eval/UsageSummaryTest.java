package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.finetune.activities.provider.ProviderClient.ChatAnswer;
import io.finetune.activities.provider.ProviderConfig.Price;
import io.finetune.workflows.eval.EvalActivities.Usage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UsageSummaryTest {

  @Test
  void percentilesAreNearestRankOverTheMeasuredAnswers() {
    List<ChatAnswer> answers = new ArrayList<>();
    for (int ms = 100; ms >= 1; ms--) {
      answers.add(new ChatAnswer("a", 10, 2, ms));
    }
    answers.add(new ChatAnswer("resumed from an old work file", 0, 0, Double.NaN));

    Usage u = UsageSummary.of(answers, null);

    assertEquals(101, u.requests());
    assertEquals(50.0, u.latencyP50Millis());
    assertEquals(95.0, u.latencyP95Millis());
    assertEquals(1000, u.inputTokens());
    assertEquals(200, u.outputTokens());
    assertNull(u.costPer1kRequests(), "no price: unknown, not free");
  }

  @Test
  void costPerThousandRequestsFollowsThePriceTable() {
    List<ChatAnswer> answers =
        List.of(new ChatAnswer("a", 1000, 100, 5), new ChatAnswer("b", 3000, 300, 7));
    // 4,000 input tokens at $2/1M and 400 output at $8/1M: $0.0112 for 2 requests.
    Usage u = UsageSummary.of(answers, new Price("m", 2.0, 8.0, 0));
    assertEquals(5.6, u.costPer1kRequests(), 1e-9);
  }

  @Test
  void noMeasuredLatencyIsNull() {
    Usage u = UsageSummary.of(List.of(new ChatAnswer("a", 1, 1, Double.NaN)), null);
    assertNull(u.latencyP50Millis());
    assertNull(u.latencyP95Millis());
  }

  @Test
  void pricePatternsMatchWithStarsOnly() {
    Price tuned = new Price("ft:gpt-4.1-mini*", 0.8, 3.2, 0);
    assertEquals(true, tuned.matches("ft:gpt-4.1-mini-2025-04-14:acme:triage:abc123"));
    assertEquals(false, tuned.matches("gpt-4.1-mini"));
    assertEquals(false, new Price("gpt-4.1", 2, 8, 25).matches("gpt-4.1-mini"), "not a prefix");
    assertEquals(true, new Price("a.b(c)", 1, 1, 1).matches("a.b(c)"), "no regex syntax");
  }
}
