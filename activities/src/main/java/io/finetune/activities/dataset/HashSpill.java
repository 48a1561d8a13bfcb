package io.finetune.activities.dataset;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Fixed-size records of longs spilled to disk in partitions by their first long, then read back one
 * partition at a time, sorted: how a dataset of any size is grouped (duplicates, distinct inputs)
 * with memory bounded by one partition instead of by the whole dataset.
 */
final class HashSpill implements AutoCloseable {
  private static final int PARTITIONS = 256;

  private final Path dir;
  private final int width;
  private final DataOutputStream[] out = new DataOutputStream[PARTITIONS];
  private long records;

  /** Records of {@code width} longs; the first decides the partition and the order. */
  HashSpill(Path scratch, int width) {
    this.width = width;
    try {
      this.dir = Files.createTempDirectory(Files.createDirectories(scratch), "spill-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void add(long... record) {
    int p = (int) (record[0] >>> 56);
    try {
      if (out[p] == null) {
        out[p] =
            new DataOutputStream(
                new BufferedOutputStream(Files.newOutputStream(dir.resolve("p" + p)), 1 << 14));
      }
      for (int i = 0; i < width; i++) {
        out[p].writeLong(record[i]);
      }
      records++;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  long records() {
    return records;
  }

  /** What is done with each partition's records, sorted by every long in turn (unsigned). */
  interface PartitionVisitor {
    void visit(long[][] sorted);
  }

  /** Each partition in turn, its records sorted; the files are gone afterwards. */
  void forEachPartition(PartitionVisitor visitor) {
    try {
      for (int p = 0; p < PARTITIONS; p++) {
        if (out[p] == null) {
          continue;
        }
        out[p].close();
        out[p] = null;
        Path file = dir.resolve("p" + p);
        long[][] records = new long[(int) (Files.size(file) / (8L * width))][];
        try (DataInputStream in =
            new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 14))) {
          for (int i = 0; i < records.length; i++) {
            long[] r = new long[width];
            for (int j = 0; j < width; j++) {
              r[j] = in.readLong();
            }
            records[i] = r;
          }
        } catch (EOFException e) {
          throw new IllegalStateException("spill file " + file + " is short", e);
        }
        Files.delete(file);
        Arrays.sort(records, ORDER);
        visitor.visit(records);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static final Comparator<long[]> ORDER =
      (a, b) -> {
        for (int i = 0; i < a.length; i++) {
          int c = Long.compareUnsigned(a[i], b[i]);
          if (c != 0) {
            return c;
          }
        }
        return 0;
      };

  @Override
  public void close() {
    for (int p = 0; p < PARTITIONS; p++) {
      if (out[p] != null) {
        try {
          out[p].close();
        } catch (IOException ignored) {
          // deleted below
        }
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a scratch folder left behind is never read
    }
  }

  /** A 64-bit hash of a text (the first 8 bytes of its sha256): equal texts, equal hashes. */
  static long hash(String text) {
    return first8(sha256(text));
  }

  /** The first 8 bytes of a digest as a long: its order (unsigned) is the digest's order. */
  static long first8(byte[] digest) {
    long h = 0;
    for (int i = 0; i < 8; i++) {
      h = (h << 8) | (digest[i] & 0xff);
    }
    return h;
  }

  static byte[] sha256(String text) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
