package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.SplitRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streamed split takes exactly the rows the in-memory split always took (every group sorted by
 * the sha256 of seed:input, the first ones the test set, the next the validation set), on small
 * data, where a set ends inside a range of the order, and on data large enough for whole ranges.
 */
class HoldOutTest {
  @TempDir Path dir;

  @Test
  void theStreamedSplitIsTheInMemorySplitRowForRow() {
    ArtifactStore store = new ArtifactStore(dir);
    for (int size : List.of(7, 300, 3_000, 30_000)) {
      for (long seed : List.of(7L, 8L)) {
        for (double[] fractions : List.of(new double[] {0.1, 0}, new double[] {0.05, 0.1})) {
          List<Row> rows = rows(size, seed);
          DatasetRef data = Rows.write(store, "train", rows);
          SplitResult s =
              new HoldOut(
                      store, new SplitRequest(data, fractions[0], seed, List.of(), fractions[1]))
                  .split();
          List<List<String>> expected = reference(rows, fractions[0], fractions[1], seed);
          String what =
              size + " rows, seed " + seed + ", fractions " + List.of(fractions[0], fractions[1]);
          assertEquals(expected.get(0), inputs(store, s.test()), "test set, " + what);
          assertEquals(
              expected.get(1),
              s.validation() == null ? List.of() : inputs(store, s.validation()),
              "validation set, " + what);
          assertEquals(expected.get(2), inputs(store, s.train()), "training set, " + what);
          assertEquals(rows.size() - distinct(rows), s.duplicateRows(), what);
        }
      }
    }
  }

  /** Inputs with repeats (same text, other case or punctuation) so that groups have many rows. */
  private static List<Row> rows(int size, long seed) {
    Random random = new Random(seed * 31 + size);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      int id = random.nextInt(Math.max(1, size * 3 / 4));
      String input = random.nextBoolean() ? "Ticket " + id + "!" : "ticket  " + id;
      rows.add(new Row(input, Rows.JSON.createObjectNode().put("category", "c" + (id % 5))));
    }
    return rows;
  }

  private static List<String> inputs(ArtifactStore store, DatasetRef d) {
    return Rows.read(store, d).stream().map(Row::input).toList();
  }

  private static int distinct(List<Row> rows) {
    Set<String> keys = new HashSet<>();
    rows.forEach(r -> keys.add(Rows.normalize(r.input())));
    return keys.size();
  }

  /** The split as it was written before it streamed: all rows in memory. */
  private static List<List<String>> reference(
      List<Row> rows, double testFraction, double validationFraction, long seed) {
    Map<String, List<Row>> groups = new LinkedHashMap<>();
    for (Row row : rows) {
      groups.computeIfAbsent(Rows.normalize(row.input()), k -> new ArrayList<>()).add(row);
    }
    List<String> keys = new ArrayList<>(groups.keySet());
    keys.sort(
        Comparator.comparing(
            k -> ArtifactStore.sha256Hex((seed + ":" + k).getBytes(StandardCharsets.UTF_8))));
    long wanted = Math.round(rows.size() * testFraction);
    long validationWanted = Math.round(rows.size() * validationFraction);
    Set<String> testKeys = new HashSet<>();
    Set<String> validationKeys = new HashSet<>();
    int testRows = 0;
    int validationRows = 0;
    for (String k : keys) {
      if (testRows < wanted) {
        testKeys.add(k);
        testRows += groups.get(k).size();
      } else if (validationRows < validationWanted) {
        validationKeys.add(k);
        validationRows += groups.get(k).size();
      } else {
        break;
      }
    }
    List<String> test = new ArrayList<>();
    List<String> validation = new ArrayList<>();
    List<String> train = new ArrayList<>();
    for (Row row : rows) {
      String key = Rows.normalize(row.input());
      (testKeys.contains(key) ? test : validationKeys.contains(key) ? validation : train)
          .add(row.input());
    }
    return List.of(test, validation, train);
  }
}
