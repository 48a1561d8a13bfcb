package io.finetune.cli.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Random;

/**
 * Seeded draws for the example generators: one {@link Random} read in a fixed order, so that a
 * generator writes the same files byte for byte every time.
 */
final class Draws {
  static final ObjectMapper JSON = new ObjectMapper();

  private final Random random;

  Draws(long seed) {
    this.random = new Random(seed);
  }

  <T> T pick(List<T> items) {
    return items.get(random.nextInt(items.size()));
  }

  /** One of {@code items}, each as likely as its weight. */
  <T> T pick(List<T> items, int... weights) {
    int total = 0;
    for (int w : weights) {
      total += w;
    }
    int r = random.nextInt(total);
    for (int i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) {
        return items.get(i);
      }
    }
    return items.get(items.size() - 1);
  }

  /** True {@code percent} times in a hundred. */
  boolean chance(int percent) {
    return random.nextInt(100) < percent;
  }

  int between(int lo, int hiInclusive) {
    return lo + random.nextInt(hiInclusive - lo + 1);
  }

  boolean coin() {
    return random.nextBoolean();
  }

  /** Writes {@code row} as one JSONL line. */
  static void writeLine(Writer w, ObjectNode row) throws IOException {
    w.write(JSON.writeValueAsString(row));
    w.write('\n');
  }

  static String capitalize(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
