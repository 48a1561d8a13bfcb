package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Locale;

/**
 * What a judge is asked and how its reply is read. The system message says what to do (and the
 * spec's rubric); the user message has sections, each a heading line followed by its text:
 *
 * <pre>
 * ### Input
 * ...
 * ### Reference
 * ...            (only when the row has an expected answer)
 * ### Answer A
 * ...
 * ### Answer B
 * ...
 * </pre>
 *
 * The judge replies {@code A}, {@code B} or {@code tie} as its first word, then why (a JSON object
 * {@code {"verdict": "A", "reason": "..."}} is read too). The local provider's {@code local-judge}
 * reads this format.
 */
final class JudgePrompt {
  static final String INPUT = "### Input";
  static final String REFERENCE = "### Reference";
  static final String ANSWER_A = "### Answer A";
  static final String ANSWER_B = "### Answer B";

  private static final ObjectMapper JSON = new ObjectMapper();

  private JudgePrompt() {}

  /** One judgment's verdict: which position won, and the judge's reason. */
  enum Choice {
    A,
    B,
    TIE
  }

  record Verdict(Choice choice, String reason) {}

  static String system(String rubric) {
    String what =
        rubric == null || rubric.isBlank()
            ? "The better answer is the one closer to the reference, or, without one, the more"
                + " correct and useful."
            : "What makes an answer better: " + rubric.trim();
    return "You compare two answers (A and B) to the same input. "
        + what
        + " Ignore which answer comes first and how long it is. Reply with A, B or tie as the"
        + " first word, then one sentence saying why.";
  }

  static String user(String input, String reference, String a, String b) {
    StringBuilder sb = new StringBuilder();
    sb.append(INPUT).append('\n').append(input).append('\n');
    if (reference != null) {
      sb.append(REFERENCE).append('\n').append(reference).append('\n');
    }
    sb.append(ANSWER_A).append('\n').append(a).append('\n');
    sb.append(ANSWER_B).append('\n').append(b).append('\n');
    return sb.toString();
  }

  /** The reply's verdict; a reply that names none counts as a tie (and says so). */
  static Verdict parse(String reply) {
    String text = reply == null ? "" : reply.trim();
    if (text.startsWith("{")) {
      try {
        JsonNode node = JSON.readTree(text);
        Choice c = choice(node.path("verdict").asText(""));
        if (c != null) {
          return new Verdict(c, node.path("reason").asText(""));
        }
      } catch (java.io.IOException notJson) {
        // read as text below
      }
    }
    String first = text.split("[\\s:.,;!)\\]]+", 2)[0].replaceAll("^[\\[(\"'*]+", "");
    Choice c = choice(first);
    if (c == null) {
      return new Verdict(Choice.TIE, "no verdict in the reply (counted as a tie): " + text);
    }
    String reason = text.substring(Math.min(text.length(), text.indexOf(first) + first.length()));
    return new Verdict(c, reason.replaceAll("^[\\s:.,;!)\\]\"'*-]+", "").trim());
  }

  private static Choice choice(String word) {
    return switch (word.toLowerCase(Locale.ROOT)) {
      case "a" -> Choice.A;
      case "b" -> Choice.B;
      case "tie" -> Choice.TIE;
      default -> null;
    };
  }
}
