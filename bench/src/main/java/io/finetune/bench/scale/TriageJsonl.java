package io.finetune.bench.scale;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes a JSONL dataset of the ticket-triage example's shape ({@code {"input": ticket, "output":
 * {"category": ..., "priority": ...}}}, examples/ticket-triage/train.jsonl) of a given number of
 * rows or bytes, seeded (the same arguments give the same file, byte for byte) and streamed to
 * disk: memory does not grow with the size, so it makes a 1 GB file as well as a 1,000-row one. The
 * label follows from keywords in the ticket, as in the example, so a model can learn it.
 *
 * <pre>
 * java io.finetune.bench.scale.TriageJsonl OUT.jsonl 100000        # rows
 * java io.finetune.bench.scale.TriageJsonl OUT.jsonl 1G [SEED]      # bytes: K, M or G suffix
 * </pre>
 */
public final class TriageJsonl {
  private static final String[] CATEGORIES = {"billing", "technical", "account", "shipping"};
  private static final String[][] ISSUES = {
    {
      "I was charged twice this month",
      "The VAT on my bill looks wrong",
      "My invoice shows the wrong amount",
      "I need a refund for my last payment",
      "The payment failed but the money left my account"
    },
    {
      "The app crashes when I open settings",
      "Images fail to upload from my Android phone",
      "I get an error 500 on the dashboard",
      "The export button is not working",
      "Sync stopped working after the update"
    },
    {
      "I forgot my password and the reset email never arrives",
      "I cannot log in to my account",
      "Please change the e-mail on my profile",
      "My account was locked after two attempts",
      "How do I delete my account?"
    },
    {
      "My package has not arrived yet",
      "The tracking number shows no updates",
      "The parcel was delivered to the wrong address",
      "The delivery is two weeks late",
      "Part of my order is missing from the package"
    }
  };
  private static final String[] PRIORITIES = {"urgent", "high", "medium", "low"};
  private static final String[][] URGENCY = {
    {"This is urgent, our whole team is blocked.", "Please fix this immediately."},
    {"I need this sorted out this week.", "Please look at it asap, it is frustrating."},
    {"Could you take a look?", "Thanks for your help."},
    {"This is not urgent at all.", "No rush, whenever you can."}
  };
  private static final String[] GREETINGS = {"Hello team,", "Hi,", "Good morning,", "Hey,", ""};
  private static final String[] PLANS = {"", " I'm on the Basic plan.", " We are on Pro."};
  private static final String[] NAMES = {"Ana", "Chen", "Farah", "Luis", "Mia", "Omar", "Priya"};

  private TriageJsonl() {}

  /** What was written. */
  public record Written(long rows, long bytes) {}

  /**
   * Writes rows to {@code out} until {@code maxRows} rows or {@code maxBytes} bytes (whichever
   * comes first; 0 or less: no limit on that one) have been written; the last row is whole.
   */
  public static Written write(Path out, long maxRows, long maxBytes, long seed) throws IOException {
    if (maxRows <= 0 && maxBytes <= 0) {
      throw new IllegalArgumentException("give a number of rows or of bytes");
    }
    SplittableRandom random = new SplittableRandom(seed);
    long rows = 0;
    long bytes = 0;
    StringBuilder line = new StringBuilder(256);
    try (BufferedWriter w =
        new BufferedWriter(
            new OutputStreamWriter(Files.newOutputStream(out), StandardCharsets.UTF_8), 1 << 16)) {
      while ((maxRows <= 0 || rows < maxRows) && (maxBytes <= 0 || bytes < maxBytes)) {
        line.setLength(0);
        row(random, rows, line);
        w.write(line.toString());
        w.write('\n');
        bytes += line.length() + 1; // ASCII only: characters are bytes
        rows++;
      }
    }
    return new Written(rows, bytes);
  }

  private static void row(SplittableRandom r, long n, StringBuilder s) {
    int category = r.nextInt(CATEGORIES.length);
    int priority = r.nextInt(PRIORITIES.length);
    String greeting = GREETINGS[r.nextInt(GREETINGS.length)];
    s.append("{\"input\":\"");
    if (!greeting.isEmpty()) {
      s.append(greeting).append(' ');
    }
    s.append(ISSUES[category][r.nextInt(ISSUES[category].length)])
        .append(" (ticket ")
        .append(n)
        .append(").")
        .append(PLANS[r.nextInt(PLANS.length)])
        .append(' ')
        .append(URGENCY[priority][r.nextInt(URGENCY[priority].length)])
        .append(" Regards, ")
        .append(NAMES[r.nextInt(NAMES.length)])
        .append("\",\"output\":{\"category\":\"")
        .append(CATEGORIES[category])
        .append("\",\"priority\":\"")
        .append(PRIORITIES[priority])
        .append("\"}}");
  }

  /** {@code 100000} rows, or bytes with a suffix: {@code 500K}, {@code 200M}, {@code 1G}. */
  static long[] parseSize(String size) {
    String s = size.trim().toUpperCase(Locale.ROOT);
    long unit =
        switch (s.charAt(s.length() - 1)) {
          case 'K' -> 1L << 10;
          case 'M' -> 1L << 20;
          case 'G' -> 1L << 30;
          default -> 0;
        };
    if (unit == 0) {
      return new long[] {Long.parseLong(s), 0};
    }
    return new long[] {0, Long.parseLong(s.substring(0, s.length() - 1)) * unit};
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: TriageJsonl OUT.jsonl ROWS|SIZE(K|M|G) [SEED]");
      System.exit(2);
    }
    long[] size = parseSize(args[1]);
    long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
    long start = System.nanoTime();
    Written w = write(Path.of(args[0]), size[0], size[1], seed);
    System.out.printf(
        Locale.ROOT,
        "%s: %,d rows, %,d bytes in %.1f s%n",
        args[0],
        w.rows(),
        w.bytes(),
        (System.nanoTime() - start) / 1e9);
  }
}
