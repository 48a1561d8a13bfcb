package io.finetune.activities.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Inputs made from valid seeds by a few edits of their bytes: bits flipped, truncation, bytes
 * deleted, tokens of the format inserted (quotes, brackets, {@code null}, YAML anchors and tags),
 * random Unicode, NUL bytes, bytes that are not UTF-8, huge numbers, deep nesting, very long lines,
 * lines duplicated (a key twice) or the whole input emptied. Each edit is a few numbers, replayed
 * from the case's seed; a failing case shrinks by dropping edits.
 */
public final class Mutants {
  private Mutants() {}

  /** A named valid input. */
  @SuppressWarnings("ArrayRecordComponent") // a carrier of the seed's bytes, never compared
  public record Seed(String name, byte[] bytes) {
    public static Seed of(String name, String text) {
      return new Seed(name, text.getBytes(StandardCharsets.UTF_8));
    }

    public static Seed of(Path file) {
      try {
        return new Seed(file.getFileName().toString(), Files.readAllBytes(file));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public String toString() {
      return name;
    }
  }

  enum Kind {
    FLIP_BIT,
    TRUNCATE,
    DELETE,
    INSERT_TOKEN,
    REPLACE_WITH_TOKEN,
    INSERT_UNICODE,
    INSERT_NUL,
    INSERT_NOT_UTF8,
    HUGE_NUMBER,
    DEEP_NESTING,
    LONG_LINE,
    DUPLICATE_LINE,
    DELETE_LINE,
    NEWLINES,
    EMPTY
  }

  /** One edit: what, where (taken modulo the length), how much, and which token or randomness. */
  public record Edit(Kind kind, int at, int length, int pick) {}

  /** A seed and the edits made to it. */
  public record Mutant(Seed seed, List<Edit> edits, List<String> tokens) {
    public byte[] bytes() {
      byte[] b = seed.bytes();
      for (Edit e : edits) {
        b = apply(b, e, tokens);
      }
      return b;
    }

    public String text() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return seed + " " + edits + ": " + preview(bytes());
    }
  }

  /** Tokens worth inserting in any JSON or YAML text. */
  public static final List<String> TOKENS =
      List.of(
          "\"",
          "\\",
          "\\u",
          "\\uD800",
          "{",
          "}",
          "[",
          "]",
          ":",
          ",",
          "null",
          "true",
          "0",
          "-1",
          "-0",
          "1e999",
          "-1e999",
          "NaN",
          "Infinity",
          "99999999999999999999999999",
          "2147483648",
          "9223372036854775808",
          "0.1e-400",
          "\"\"",
          "{}",
          "[]",
          " ",
          "\t",
          "\n",
          "\r",
          "\r\n",
          "\uFEFF",
          "---\n",
          "...\n",
          "- ",
          ": ",
          "? ",
          "&a ",
          "*a",
          "<<: *a\n",
          "!!binary ",
          "!!python/object/apply:os.system ",
          "!!float ",
          "!!str ",
          "!<tag:yaml.org,2002:map> ",
          "# ",
          "|\n",
          ">-\n",
          "'",
          "~",
          ".inf",
          ".nan",
          "0x1F",
          "0o17",
          "yes",
          "no",
          "%YAML 1.2\n",
          "2026-13-45T99:99:99Z",
          "+1000000000-12-31T23:59:59Z",
          "-999999999-01-01T00:00:00Z",
          "P9999999999D",
          "PT-1S",
          "1d",
          "99999999999s",
          "@",
          "@0",
          "@99999999999",
          "/",
          "../",
          "\u0000",
          "\u202E",
          "\uD83D\uDE00",
          "\uFFFF");

  /**
   * A mutant of one of {@code seeds}: 1 to 5 edits, the format's {@code words} among the tokens.
   */
  public static Mutant random(SplittableRandom r, List<Seed> seeds, List<String> words) {
    List<String> tokens = new ArrayList<>(TOKENS);
    tokens.addAll(words);
    List<Edit> edits = new ArrayList<>();
    int n = 1 + r.nextInt(5);
    for (int i = 0; i < n; i++) {
      edits.add(
          new Edit(
              Kind.values()[r.nextInt(Kind.values().length)],
              r.nextInt(1 << 20),
              r.nextInt(65),
              r.nextInt(1 << 16)));
    }
    return new Mutant(seeds.get(r.nextInt(seeds.size())), List.copyOf(edits), List.copyOf(tokens));
  }

  /** The same mutant with one edit less, for each edit. */
  public static List<Mutant> smaller(Mutant m) {
    return Fuzz.withOneLess(m.edits()).stream()
        .map(edits -> new Mutant(m.seed(), edits, m.tokens()))
        .toList();
  }

  static byte[] apply(byte[] b, Edit e, List<String> tokens) {
    int at = b.length == 0 ? 0 : e.at() % (b.length + 1);
    SplittableRandom random = new SplittableRandom(e.pick());
    String token = tokens.get(e.pick() % tokens.size());
    return switch (e.kind()) {
      case FLIP_BIT -> {
        if (b.length == 0) {
          yield b;
        }
        byte[] c = b.clone();
        int i = Math.min(at, b.length - 1);
        c[i] = (byte) (c[i] ^ (1 << (e.pick() % 8)));
        yield c;
      }
      case TRUNCATE -> Arrays.copyOf(b, at);
      case DELETE -> splice(b, at, Math.min(e.length() + 1, b.length - at), new byte[0]);
      case INSERT_TOKEN -> splice(b, at, 0, utf8(token));
      case REPLACE_WITH_TOKEN ->
          splice(b, at, Math.min(e.length() + 1, b.length - at), utf8(token));
      case INSERT_UNICODE -> {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i <= e.length(); i++) {
          int cp = random.nextInt(4) == 0 ? random.nextInt(0x80) : random.nextInt(0x110000);
          if (Character.isSurrogate((char) cp) && cp < 0x10000) {
            s.append((char) cp); // a lone surrogate: written as '?' in UTF-8
          } else {
            s.appendCodePoint(cp);
          }
        }
        yield splice(b, at, 0, utf8(s.toString()));
      }
      case INSERT_NUL -> splice(b, at, 0, new byte[e.length() % 3 + 1]);
      case INSERT_NOT_UTF8 -> {
        byte[][] bad = {
          {(byte) 0xFF},
          {(byte) 0xC3},
          {(byte) 0xC0, (byte) 0x80},
          {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
          {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
          {(byte) 0xE2, (byte) 0x82},
          {(byte) 0x80},
          {(byte) 0xFE, (byte) 0xFF},
          {(byte) 0x1F, (byte) 0x8B}
        };
        yield splice(b, at, 0, bad[e.pick() % bad.length]);
      }
      case HUGE_NUMBER -> {
        String n =
            switch (e.pick() % 5) {
              case 0 -> "9".repeat(20 + e.length() * 30);
              case 1 -> "-" + "9".repeat(19);
              case 2 -> "1e" + (300 + e.length() * 100);
              case 3 -> "0." + "0".repeat(400) + "1";
              default -> String.valueOf(Long.MIN_VALUE);
            };
        yield splice(b, at, digitsAt(b, at), utf8(n));
      }
      case DEEP_NESTING -> {
        int depth = 200 + e.length() * 100;
        String open = e.pick() % 2 == 0 ? "[" : "{\"a\":";
        yield splice(b, at, 0, utf8(open.repeat(depth)));
      }
      case LONG_LINE -> {
        String unit = e.pick() % 2 == 0 ? "a" : token;
        yield splice(
            b, at, 0, utf8(unit.repeat(Math.max(1, 100_000 / Math.max(1, unit.length())))));
      }
      case DUPLICATE_LINE -> {
        int[] line = lineAround(b, at);
        byte[] copy = Arrays.copyOfRange(b, line[0], line[1]);
        byte[] withNewline = Arrays.copyOf(copy, copy.length + 1);
        withNewline[copy.length] = '\n';
        yield splice(b, line[0], 0, withNewline);
      }
      case DELETE_LINE -> {
        int[] line = lineAround(b, at);
        yield splice(b, line[0], Math.min(line[1] + 1, b.length) - line[0], new byte[0]);
      }
      case NEWLINES -> {
        String from = new String(b, StandardCharsets.ISO_8859_1);
        String to =
            switch (e.pick() % 3) {
              case 0 -> from.replace("\n", "\r\n");
              case 1 -> from.replace("\n", "\r");
              default -> from.replace("\n", "");
            };
        yield to.getBytes(StandardCharsets.ISO_8859_1);
      }
      case EMPTY -> e.pick() % 2 == 0 ? new byte[0] : utf8(" \n\n\t\n");
    };
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + insert.length);
    out.write(b, 0, at);
    out.writeBytes(insert);
    out.write(b, at + remove, b.length - at - remove);
    return out.toByteArray();
  }

  /** The number of digits from {@code at} on (a number there is replaced, else inserted). */
  private static int digitsAt(byte[] b, int at) {
    int i = at;
    while (i < b.length && (Character.isDigit(b[i]) || b[i] == '.' || b[i] == '-')) {
      i++;
    }
    return i - at;
  }

  /** The start and end (exclusive, without the line break) of the line {@code at} is on. */
  private static int[] lineAround(byte[] b, int at) {
    int start = Math.min(at, b.length);
    while (start > 0 && b[start - 1] != '\n') {
      start--;
    }
    int end = Math.min(at, b.length);
    while (end < b.length && b[end] != '\n') {
      end++;
    }
    return new int[] {start, end};
  }

  /** The start of an input for a failure's report: escaped, at most 300 characters. */
  public static String preview(byte[] bytes) {
    String s = new String(bytes, 0, Math.min(bytes.length, 300), StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder("\"");
    s.codePoints()
        .forEach(
            cp -> {
              if (cp == '\n') {
                out.append("\\n");
              } else if (cp == '\r') {
                out.append("\\r");
              } else if (cp < 0x20 || cp == 0xFFFD) {
                out.append(String.format("\\u%04X", cp));
              } else {
                out.appendCodePoint(cp);
              }
            });
    return out.append(bytes.length > 300 ? "\"... (" + bytes.length + " bytes)" : "\"").toString();
  }
}
