package io.finetune.provider.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The untuned base model: it answers zero-shot from what the system prompt says and nothing else.
 *
 * <p>It understands prompts that list, per output field, the allowed values and the cue words of
 * each, like
 *
 * <pre>
 * category:
 * - billing: invoice, refund, charged twice
 * - technical (default): error, crash
 * </pre>
 *
 * and picks, per field, the value whose cues occur most often in the user's text. A better prompt
 * (more and better cues) gives a better baseline, and a prompt without such lists gives answers
 * that are not the JSON the task wants, as a real model would without instructions: it echoes the
 * first sentence of the user's text, a generic answer to a text task.
 */
final class PromptFollower {
  private static final Pattern FIELD = Pattern.compile("^\\s*([A-Za-z_][\\w-]*)\\s*:\\s*$");
  private static final Pattern VALUE =
      Pattern.compile("^\\s*[-*]\\s*([\\w-]+)\\s*(\\(default\\))?\\s*:\\s*(.*)$");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SENTENCE_END = Pattern.compile("[.!?](\\s|$)|\\R");

  private PromptFollower() {}

  static String answer(String systemPrompt, String userText) {
    Map<String, List<Value>> fields = parse(systemPrompt == null ? "" : systemPrompt);
    if (fields.isEmpty()) {
      // No fields to fill: a text task. Untuned, it only repeats the gist, as a weak model would.
      return firstSentence(userText);
    }
    String text = " " + String.join(" ", stems(userText)) + " ";
    ObjectNode out = JSON.createObjectNode();
    for (Map.Entry<String, List<Value>> field : fields.entrySet()) {
      Value best = null;
      int bestHits = 0;
      for (Value v : field.getValue()) {
        int hits = 0;
        for (String cue : v.cues) {
          hits += occurrences(text, cue);
        }
        if (hits > bestHits) {
          best = v;
          bestHits = hits;
        }
      }
      if (best == null) {
        best =
            field.getValue().stream()
                .filter(v -> v.isDefault)
                .findFirst()
                .orElse(field.getValue().get(0));
      }
      out.put(field.getKey(), best.name);
    }
    return out.toString();
  }

  private static Map<String, List<Value>> parse(String prompt) {
    Map<String, List<Value>> fields = new LinkedHashMap<>();
    String current = null;
    for (String line : prompt.split("\\R")) {
      Matcher f = FIELD.matcher(line);
      Matcher v = VALUE.matcher(line);
      if (f.matches()) {
        current = f.group(1);
      } else if (v.matches() && current != null) {
        List<String> cues = new ArrayList<>();
        for (String cue : v.group(3).split(",")) {
          List<String> s = stems(cue);
          if (!s.isEmpty()) {
            cues.add(" " + String.join(" ", s) + " ");
          }
        }
        fields
            .computeIfAbsent(current, k -> new ArrayList<>())
            .add(new Value(v.group(1), v.group(2) != null, cues));
      } else if (!line.isBlank()) {
        current = null;
      }
    }
    return fields;
  }

  /** The input's first sentence (up to its end mark), or its first line. */
  static String firstSentence(String text) {
    String t = text.strip();
    Matcher m = SENTENCE_END.matcher(t);
    return m.find() ? t.substring(0, m.end()).strip() : t.lines().findFirst().orElse("");
  }

  /** Words cut to a five-letter stem, so that "refunded" matches the cue "refund". */
  private static List<String> stems(String text) {
    List<String> out = new ArrayList<>();
    for (String t : TextFeatures.tokens(text.toLowerCase(Locale.ROOT))) {
      out.add(t.length() > 5 ? t.substring(0, 5) : t);
    }
    return out;
  }

  private static int occurrences(String haystack, String needle) {
    int n = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  private record Value(String name, boolean isDefault, List<String> cues) {}
}
