package io.finetune.provider.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Text cut into words and punctuation marks, each with where it stands in the text, so that a run
 * of tokens maps back to the characters it was written with. Unlike {@link TextFeatures#tokens},
 * words keep their case and inner apostrophes, hyphens and dots ("O'Neil", "Anne-Marie", "4.5",
 * "2023-03-21"); a possessive "'s" is a token of its own, so "Whitfield's" holds "Whitfield".
 */
final class Tokenized {
  private static final Pattern TOKEN =
      Pattern.compile("[\\p{L}\\p{N}]+(?:['’.\\-][\\p{L}\\p{N}]+)*|[^\\s\\p{L}\\p{N}]");
  private static final Pattern POSSESSIVE = Pattern.compile("(.+)(['’][sS])");

  /** A word or a punctuation mark, at {@code [start, end)} of the text. */
  record Token(String text, int start, int end, boolean word, boolean sentenceStart) {
    String lower() {
      return text.toLowerCase(Locale.ROOT);
    }

    boolean capitalized() {
      return word && Character.isUpperCase(text.codePointAt(0));
    }

    boolean hasDigit() {
      return text.chars().anyMatch(Character::isDigit);
    }

    /** The kinds of characters, runs collapsed: "O'Neil" is X'Xx, "4471" is d, "Dana" Xx. */
    String shape() {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        char k = Character.isUpperCase(c) ? 'X' : Character.isLetter(c) ? 'x' : c;
        k = Character.isDigit(c) ? 'd' : k;
        if (sb.length() == 0 || sb.charAt(sb.length() - 1) != k) {
          sb.append(k);
        }
      }
      return sb.toString();
    }
  }

  final String text;
  final List<Token> tokens;

  private Tokenized(String text, List<Token> tokens) {
    this.text = text;
    this.tokens = tokens;
  }

  static Tokenized of(String text) {
    List<Token> tokens = new ArrayList<>();
    Matcher m = TOKEN.matcher(text);
    while (m.find()) {
      boolean word = Character.isLetterOrDigit(m.group().codePointAt(0));
      boolean sentenceStart =
          tokens.isEmpty()
              || ".!?".contains(tokens.get(tokens.size() - 1).text())
              || text.substring(tokens.get(tokens.size() - 1).end(), m.start()).contains("\n");
      Matcher possessive = POSSESSIVE.matcher(m.group());
      if (word && possessive.matches()) {
        int split = m.start() + possessive.group(1).length();
        tokens.add(new Token(possessive.group(1), m.start(), split, true, sentenceStart));
        tokens.add(new Token(possessive.group(2), split, m.end(), false, false));
      } else {
        tokens.add(new Token(m.group(), m.start(), m.end(), word, sentenceStart));
      }
    }
    return new Tokenized(text, tokens);
  }

  int size() {
    return tokens.size();
  }

  Token get(int i) {
    return tokens.get(i);
  }

  /** The lower-cased token at {@code i}, or a marker for the text's start or end. */
  String lowerAt(int i) {
    return i < 0 ? "<s>" : i >= tokens.size() ? "</s>" : tokens.get(i).lower();
  }

  /** Tokens {@code [from, to)} as written, with each run of white space as one space. */
  String span(int from, int to) {
    return normalizeSpaces(text.substring(tokens.get(from).start(), tokens.get(to - 1).end()));
  }

  /**
   * The first run of tokens that reads as {@code value} (case and runs of white space ignored),
   * starting and ending on a word: {@code {from, to}}, or null if the text holds no such run.
   */
  int[] find(String value) {
    String wanted = normalize(value);
    if (wanted.isEmpty() || !normalize(text).contains(wanted)) {
      return null; // the quick no, for most values that are not there
    }
    for (int from = 0; from < tokens.size(); from++) {
      if (!tokens.get(from).word()) {
        continue;
      }
      for (int to = from + 1; to <= tokens.size(); to++) {
        String s = normalize(span(from, to));
        if (s.length() > wanted.length()) {
          break;
        }
        if (tokens.get(to - 1).word() && s.equals(wanted)) {
          return new int[] {from, to};
        }
      }
    }
    return null;
  }

  static String normalize(String s) {
    return normalizeSpaces(s).toLowerCase(Locale.ROOT);
  }

  private static String normalizeSpaces(String s) {
    return s.strip().replaceAll("\\s+", " ");
  }
}
