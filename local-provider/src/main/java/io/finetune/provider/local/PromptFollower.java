package io.finetune.provider.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
 * (more and better cues) gives a better baseline.
 *
 * <p>A prompt may also name the answer's fields in a JSON template, like {@code Answer with a JSON
 * object {"caller": ..., "callback_date": ...}}. Asked for a JSON object, it answers one with every
 * field named there or listed: listed fields by their cues, the others by a naive zero-shot guess,
 * valid but weak: a field whose name holds "date" gets the input's first date as written ("March
 * 21", not normalized), any other the input's first name of several capitalized words ("Dana
 * Whitfield"), else its first sentence.
 *
 * <p>A prompt that neither names nor lists fields gives answers that are not JSON, as a real model
 * would without instructions: it echoes the first sentence of the user's text, a generic answer to
 * a text task.
 */
final class PromptFollower {
  private static final Pattern FIELD = Pattern.compile("^\\s*([A-Za-z_][\\w-]*)\\s*:\\s*$");
  private static final Pattern VALUE =
      Pattern.compile("^\\s*[-*]\\s*([\\w-]+)\\s*(\\(default\\))?\\s*:\\s*(.*)$");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SENTENCE_END = Pattern.compile("[.!?](\\s|$)|\\R");
  private static final Pattern TEMPLATE = Pattern.compile("\\{[^{}]*\"[\\w-]+\"\\s*:[^{}]*}");
  private static final Pattern TEMPLATE_FIELD = Pattern.compile("\"([A-Za-z_][\\w-]*)\"\\s*:");

  private PromptFollower() {}

  static String answer(String systemPrompt, String userText) {
    String prompt = systemPrompt == null ? "" : systemPrompt;
    Map<String, List<Value>> listed = parse(prompt);
    Set<String> fields = new LinkedHashSet<>(templateFields(prompt));
    fields.addAll(listed.keySet());
    if (fields.isEmpty()) {
      // No fields to fill: a text task. Untuned, it only repeats the gist, as a weak model would.
      return firstSentence(userText);
    }
    String text = " " + String.join(" ", stems(userText)) + " ";
    ObjectNode out = JSON.createObjectNode();
    for (String field : fields) {
      List<Value> values = listed.get(field);
      out.put(field, values == null ? guess(field, userText) : pick(values, text));
    }
    return out.toString();
  }

  /** The value whose cues occur most often in {@code text} (stemmed), else the default. */
  private static String pick(List<Value> values, String text) {
    Value best = null;
    int bestHits = 0;
    for (Value v : values) {
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
      best = values.stream().filter(v -> v.isDefault).findFirst().orElse(values.get(0));
    }
    return best.name;
  }

  /** The field names of the first JSON-like template in the prompt, in order. */
  private static List<String> templateFields(String prompt) {
    List<String> names = new ArrayList<>();
    Matcher template = TEMPLATE.matcher(prompt);
    if (template.find()) {
      Matcher f = TEMPLATE_FIELD.matcher(template.group());
      while (f.find()) {
        names.add(f.group(1));
      }
    }
    return names;
  }

  /**
   * A zero-shot guess at a field nobody described: a date as written for a date field, else the
   * first name (two or more capitalized words in a row), else the first sentence.
   */
  private static String guess(String field, String userText) {
    if (field.toLowerCase(Locale.ROOT).contains("date")) {
      List<DateMentions.Mention> dates = DateMentions.find(userText);
      return dates.isEmpty() ? "" : dates.get(0).text();
    }
    Tokenized t = Tokenized.of(userText);
    for (int from = 0; from < t.size(); from++) {
      int to = from;
      while (to < t.size() && t.get(to).capitalized()) {
        to++;
      }
      if (to - from >= 2) {
        return t.span(from, to);
      }
    }
    return firstSentence(userText);
  }

  private static Map<String, List<Value>> parse(String prompt) {
    Map<String, List<Value>> fields = new LinkedHashMap<>();
    String current = null;
    for (String line : prompt.split("\\R", -1)) {
      Matcher f = FIELD.matcher(line);
      Matcher v = VALUE.matcher(line);
      if (f.matches()) {
        current = f.group(1);
      } else if (v.matches() && current != null) {
        List<String> cues = new ArrayList<>();
        for (String cue : v.group(3).split(",", -1)) {
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
