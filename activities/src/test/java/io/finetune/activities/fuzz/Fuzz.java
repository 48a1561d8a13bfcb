package io.finetune.activities.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.opentest4j.AssertionFailedError;

/**
 * A small property-based test runner for the fuzz tests ({@code *FuzzTest}): a property is checked
 * on {@code -Dfuzz.tries=N} generated cases ({@value #DEFAULT_TRIES} unless set; a slow property
 * takes a share of it), each from its own seed. A failing case is shrunk (its edits dropped one at
 * a time while it still fails) and reported with the run's seed, which {@code -Dfuzz.seed=S}
 * replays. Each property writes what it tried to {@code target/fuzz-cases/}, one line {@code reader
 * <TAB> property <TAB> cases tried <TAB> failures}, which CI sums up.
 */
public final class Fuzz {
  public static final int DEFAULT_TRIES = 300;
  private static final Path DIR = Path.of("target", "fuzz-cases");

  private Fuzz() {}

  /** A check of one case: returns normally, or fails with an assertion (or any exception). */
  @FunctionalInterface
  public interface Check<T> {
    void check(T input) throws Exception;
  }

  /** Smaller variants of a case (e.g. with one edit less), tried when it fails. */
  @FunctionalInterface
  public interface Shrinker<T> {
    List<T> smaller(T input);

    static <T> Shrinker<T> none() {
      return t -> List.of();
    }
  }

  /** The cases a property of share 1 tries in this run. */
  public static int tries() {
    String set = System.getProperty("fuzz.tries");
    return set == null || set.isBlank() ? DEFAULT_TRIES : Integer.parseInt(set.trim());
  }

  private static long seed() {
    String set = System.getProperty("fuzz.seed");
    return set == null || set.isBlank()
        ? new SplittableRandom().nextLong()
        : Long.parseLong(set.trim());
  }

  /**
   * Checks {@code property} on {@code share} of the budget's cases made by {@code generate}; fails
   * with the smallest failing case found.
   */
  public static <T> void check(
      String reader,
      String property,
      double share,
      Function<SplittableRandom, T> generate,
      Shrinker<T> shrinker,
      Check<T> check) {
    long seed = seed();
    Outcome.RESULTS.set(0);
    Outcome.ERRORS.set(0);
    int tries = Math.max(1, (int) Math.round(tries() * share));
    SplittableRandom random = new SplittableRandom(seed);
    int tried = 0;
    try {
      for (int i = 0; i < tries; i++) {
        T input = generate.apply(random.split());
        tried++;
        Throwable failure = failure(check, input);
        if (failure != null) {
          record(reader, property, tried, 1);
          T smallest = shrink(input, shrinker, check);
          Throwable why = smallest == input ? failure : failure(check, smallest);
          throw new AssertionFailedError(
              String.format(
                  "%s, %s: case %d of %d failed (replay: -Dfuzz.seed=%d)%n  input: %s%n  shrunk: %s%n"
                      + "  failure: %s",
                  reader, property, i + 1, tries, seed, input, smallest, why),
              why);
        }
      }
    } catch (RuntimeException | Error e) {
      if (!(e instanceof AssertionFailedError)) {
        record(reader, property, tried, 1);
      }
      throw e;
    }
    record(reader, property, tried, 0);
  }

  private static <T> Throwable failure(Check<T> check, T input) {
    try {
      check.check(input);
      return null;
    } catch (Throwable e) {
      return e;
    }
  }

  private static <T> T shrink(T input, Shrinker<T> shrinker, Check<T> check) {
    T smallest = input;
    for (int steps = 0; steps < 100; steps++) {
      T next = null;
      for (T candidate : shrinker.smaller(smallest)) {
        if (failure(check, candidate) != null) {
          next = candidate;
          break;
        }
      }
      if (next == null) {
        return smallest;
      }
      smallest = next;
    }
    return smallest;
  }

  private static void record(String reader, String property, int tried, int failures) {
    try {
      Files.createDirectories(DIR);
      Files.writeString(
          DIR.resolve(property + ".txt"),
          String.join(
                  "\t",
                  reader,
                  property,
                  String.valueOf(tried),
                  String.valueOf(failures),
                  String.valueOf(Outcome.RESULTS.get()),
                  String.valueOf(Outcome.ERRORS.get()))
              + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Variants of {@code list} with one element left out each (none when it has one or none). */
  public static <E> List<List<E>> withOneLess(List<E> list) {
    if (list.size() <= 1) {
      return List.of();
    }
    List<List<E>> out = new java.util.ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      List<E> less = new java.util.ArrayList<>(list);
      less.remove(i);
      out.add(List.copyOf(less));
    }
    return out;
  }
}
