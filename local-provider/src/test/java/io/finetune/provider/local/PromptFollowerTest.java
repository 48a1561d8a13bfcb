package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The untuned base model, on prompts that name the answer's fields. */
class PromptFollowerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CALL_LOG_PROMPT =
      "You read call logs. Answer with a JSON object "
          + "{\"caller\": ..., \"callback_date\": ..., \"reason\": ...}.";

  @Test
  void aPromptThatNamesFieldsGetsAJsonObjectWithEachOfThem() throws IOException {
    JsonNode answer =
        JSON.readTree(
            PromptFollower.answer(
                CALL_LOG_PROMPT,
                "Voicemail from Dana Whitfield: please call me back on March 21 about my refund."));

    assertEquals(List.of("caller", "callback_date", "reason"), ProviderCalls.fieldNames(answer));
    assertEquals("Dana Whitfield", answer.get("caller").asText());
    assertEquals("March 21", answer.get("callback_date").asText()); // as written: not normalized
    assertEquals(
        "{\"caller\":\"Marcus O'Neil\",\"callback_date\":\"3/5\","
            + "\"reason\":\"Marcus O'Neil\"}",
        PromptFollower.answer(
            CALL_LOG_PROMPT, "Marcus O'Neil called. Wants a callback Tue 3/5 re: invoice."));
    assertEquals(
        "{\"caller\":\"Please call back.\",\"callback_date\":\"\",\"reason\":\"Please call back.\"}",
        PromptFollower.answer(CALL_LOG_PROMPT, "Please call back. Thanks"));
  }

  @Test
  void listedFieldsAreStillPickedByTheirCues() {
    String prompt =
        CALL_LOG_PROMPT
            + "\nreason:\n- billing: refund, invoice\n- shipping: package\n- other (default):\n";
    assertEquals(
        "{\"caller\":\"Dana Whitfield\",\"callback_date\":\"March 21\",\"reason\":\"billing\"}",
        PromptFollower.answer(
            prompt,
            "Voicemail from Dana Whitfield: please call me back on March 21 about my refund."));
  }

  @Test
  void onCallLogsTheBaselineIsValidJsonButWeak() throws IOException {
    List<FineTunedModel.Example> logs = CallLogs.generate(200, 2023, true, 2);
    int exact = 0;
    int callers = 0;
    for (var e : logs) {
      JsonNode answer = JSON.readTree(PromptFollower.answer(CALL_LOG_PROMPT, e.input()));
      JsonNode expected = JSON.readTree(e.answer());
      assertEquals(ProviderCalls.fieldNames(expected), ProviderCalls.fieldNames(answer));
      exact += answer.equals(expected) ? 1 : 0;
      callers += answer.get("caller").equals(expected.get("caller")) ? 1 : 0;
    }
    assertEquals(0, exact, "dates are not normalized");
    assertTrue(callers > 50 && callers < 200, callers + " callers right");
  }

  @Test
  void theTicketTriagePromptAnswersAsIfItNamedNoFields() throws IOException {
    Path example = Path.of("../examples/ticket-triage");
    String spec = Files.readString(example.resolve("spec.yaml"));
    String prompt =
        spec.substring(spec.indexOf("prompt: |") + 10, spec.indexOf("target:"))
            .replaceAll("(?m)^  ", "");
    String withoutTemplate = prompt.replaceAll("\\{[^}]*}", "");
    assertTrue(prompt.contains("{\"category\": ..., \"priority\": ...}"), prompt);

    for (String line : Files.readAllLines(example.resolve("corner-cases.jsonl"))) {
      String input = JSON.readTree(line).get("input").asText();
      assertEquals(
          PromptFollower.answer(withoutTemplate, input), PromptFollower.answer(prompt, input));
    }
  }

  @Test
  void aPromptThatNamesNoFieldsStillGetsTheFirstSentence() {
    assertEquals(
        "Hi, this is Priya.",
        PromptFollower.answer("Reply kindly to the customer.", "Hi, this is Priya. Order 4471?"));
  }
}
