package io.finetune.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Replaces personal data in text with a token naming its kind ({@code [email]}, {@code [phone]},
 * {@code [card]}, or a configured rule's name), before a trace is stored and again before traces
 * become training data. Configured rules run first, so that a deployment's own formats (customer
 * numbers, say) are named by their rule rather than taken for a phone number; then e-mail
 * addresses, card numbers (only digit runs that pass the Luhn check, so order numbers stay), and
 * phone numbers. It errs on the side of redacting: a long number with separators is taken for a
 * phone number.
 */
public final class Redactor {

  /** A configured rule: every match of {@code pattern} becomes {@code [name]}. */
  public record Rule(String name, Pattern pattern) {
    /** A rule from configuration; a name or regex that cannot be used is refused, saying why. */
    public static Rule of(String name, String regex) {
      if (name == null || !name.matches("[a-z][a-z0-9_]{0,39}")) {
        throw new IllegalArgumentException(
            "Redaction rule name '" + name + "' must be 1-40 of a-z, 0-9 or '_', from a letter");
      }
      if (regex == null || regex.isEmpty()) {
        throw new IllegalArgumentException("Redaction rule '" + name + "' has no pattern");
      }
      try {
        return new Rule(name, Pattern.compile(regex));
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "Redaction rule '" + name + "' has an invalid pattern: " + e.getDescription(), e);
      }
    }
  }

  /**
   * The local part starts where a run of its characters starts and is taken whole (possessive): a
   * long run without an {@code @} is passed over in linear time, not tried from each of its
   * characters (quadratic: seconds for a 100 kB word). At most 20 labels before the last: Java's
   * regex engine recurses once per repetition, and {@code a@b.b.b...} 100 kB long overflowed the
   * stack.
   */
  private static final Pattern EMAIL =
      Pattern.compile(
          "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+){0,20}"
              + "\\.[A-Za-z]{2,}");

  /** 13 to 19 digits, single spaces or dashes between them allowed: card numbers' lengths. */
  private static final Pattern CARD = Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d])");

  /**
   * Digit groups with separators, optionally an international prefix and an area code in
   * parentheses, or a bare run of digits; {@link #isPhone} decides by the digits.
   */
  private static final Pattern PHONE =
      Pattern.compile(
          "(?<![\\w+.-])(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,5}\\)[ .-]?)?\\d{1,15}(?:[ .-]\\d{1,8}){0,5}"
              + "(?![\\w-])");

  /** Dates written with digits (2024-03-21, 21.03.2024, 3-21-24): not phone numbers. */
  private static final Pattern DATE =
      Pattern.compile("\\d{4}-\\d{1,2}-\\d{1,2}|\\d{1,2}([.-])\\d{1,2}\\1\\d{2,4}");

  private static final Pattern DECIMAL = Pattern.compile("\\d+\\.\\d+");

  private final List<Rule> rules;

  /** With the built-in patterns only. */
  public Redactor() {
    this(List.of());
  }

  /** With {@code rules} from configuration, applied before the built-in patterns. */
  public Redactor(List<Rule> rules) {
    this.rules = List.copyOf(rules);
  }

  /** {@code text} with every match replaced by its token; null stays null. */
  public String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    for (Rule r : rules) {
      out = r.pattern().matcher(out).replaceAll(Matcher.quoteReplacement("[" + r.name() + "]"));
    }
    out = EMAIL.matcher(out).replaceAll("[email]");
    out = replace(out, CARD, Redactor::isCard, "[card]");
    return replace(out, PHONE, Redactor::isPhone, "[phone]");
  }

  /**
   * A copy of {@code json} with every string and number value redacted (keys are kept): a chat
   * request's messages, whether their content is a string or a list of parts.
   */
  public JsonNode redact(JsonNode json) {
    if (json == null) {
      return null;
    }
    if (json.isTextual()) {
      return TextNode.valueOf(redact(json.asText()));
    }
    if (json.isNumber()) {
      // A phone or card number can come as a JSON number too: then it becomes its token.
      String text = json.asText();
      String redacted = redact(text);
      return redacted.equals(text) ? json.deepCopy() : TextNode.valueOf(redacted);
    }
    if (json.isArray()) {
      ArrayNode out = ((ArrayNode) json).arrayNode();
      json.forEach(e -> out.add(redact(e)));
      return out;
    }
    if (json.isObject()) {
      ObjectNode out = ((ObjectNode) json).objectNode();
      for (Map.Entry<String, JsonNode> e : json.properties()) {
        out.set(e.getKey(), redact(e.getValue()));
      }
      return out;
    }
    return json.deepCopy();
  }

  private static String replace(
      String text, Pattern pattern, Predicate<String> accept, String token) {
    Matcher m = pattern.matcher(text);
    StringBuilder out = new StringBuilder(text.length());
    int last = 0;
    while (m.find()) {
      if (accept.test(m.group())) {
        out.append(text, last, m.start()).append(token);
        last = m.end();
      }
    }
    return last == 0 ? text : out.append(text, last, text.length()).toString();
  }

  /** 13-19 digits that pass the Luhn check, as every card number does. */
  static boolean isCard(String candidate) {
    String digits = candidate.replaceAll("\\D", "");
    if (digits.length() < 13 || digits.length() > 19) {
      return false;
    }
    int sum = 0;
    for (int i = 0; i < digits.length(); i++) {
      int d = digits.charAt(digits.length() - 1 - i) - '0';
      if (i % 2 == 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    return sum % 10 == 0;
  }

  /**
   * 7 to 15 digits (E.164 allows 15) written as a phone number: with a {@code +} or separators, or
   * a bare run of 10 or more digits. Not a date or a decimal number, and a bare run of 7-9 digits
   * is taken for an order or ticket number.
   */
  static boolean isPhone(String candidate) {
    String digits = candidate.replaceAll("\\D", "");
    if (digits.length() < 7 || digits.length() > 15) {
      return false;
    }
    if (DATE.matcher(candidate).matches() || DECIMAL.matcher(candidate).matches()) {
      return false;
    }
    boolean written = candidate.startsWith("+") || !candidate.matches("\\d+");
    return written || digits.length() >= 10;
  }

  /** The configured rules' names, for start-up logs (never their matches). */
  public List<String> ruleNames() {
    List<String> names = new ArrayList<>();
    rules.forEach(r -> names.add(r.name()));
    return names;
  }
}
