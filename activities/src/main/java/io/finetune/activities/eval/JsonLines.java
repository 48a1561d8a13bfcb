package io.finetune.activities.eval;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * The lines of one or more files read one at a time, in order, each turned into a value: how evals
 * go through a dataset, answers and predictions without holding them. Lines {@code [from, to)} of
 * the files taken as one sequence; a file is closed once read to its end, or by {@link #close}.
 */
final class JsonLines<T> implements Iterator<T>, Closeable {
  private final List<Path> files;
  private final Function<String, T> parse;
  private final long to;
  private int file = -1;
  private BufferedReader in;
  private String next;
  private long line;

  private JsonLines(List<Path> files, long from, long to, Function<String, T> parse) {
    this.files = files;
    this.to = to;
    this.parse = parse;
    advance();
    // Skipped lines are not parsed: a shard reads past the rows before its own cheaply.
    while (next != null && line < from) {
      advance();
    }
  }

  /** Lines {@code [from, to)} of {@code file}. */
  static <T> JsonLines<T> of(Path file, long from, long to, Function<String, T> parse) {
    return new JsonLines<>(List.of(file), from, to, parse);
  }

  /** Every line of {@code files}, one after the other. */
  static <T> JsonLines<T> of(List<Path> files, Function<String, T> parse) {
    return new JsonLines<>(files, 0, Long.MAX_VALUE, parse);
  }

  /** How many lines were read before the next one (its 0-based number). */
  long position() {
    return line;
  }

  private void advance() {
    try {
      if (next != null) {
        line++;
      }
      next = null;
      while (line < to) {
        if (in == null) {
          if (++file >= files.size()) {
            return;
          }
          in = Files.newBufferedReader(files.get(file), StandardCharsets.UTF_8);
        }
        next = in.readLine();
        if (next != null) {
          return;
        }
        in.close();
        in = null;
      }
      close();
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public boolean hasNext() {
    return next != null;
  }

  @Override
  public T next() {
    if (next == null) {
      throw new NoSuchElementException();
    }
    T value = parse.apply(next);
    advance();
    return value;
  }

  @Override
  public void close() {
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // read only: nothing lost
      }
      in = null;
    }
    file = files.size();
  }
}
