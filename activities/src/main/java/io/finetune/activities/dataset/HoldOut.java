package io.finetune.activities.dataset;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Numbered;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.SplitRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.spec.EvalSetRole;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The seeded hold-out split (rule 5), streamed: rows are grouped by normalized input, groups are
 * ordered by the sha256 of {@code seed:input}, and the first groups make the test set until it has
 * {@code testFraction} of the rows, the next ones the validation set. Memory does not grow with the
 * data: a first pass counts rows per range of that order (65,536 ranges), and only the one or two
 * ranges where a set ends are read again group by group; a last pass writes the sets.
 */
final class HoldOut {
  private static final int BUCKETS = 1 << 16;

  private enum Side {
    TEST,
    VALIDATION,
    TRAIN
  }

  private final ArtifactStore store;
  private final SplitRequest r;
  private final int[] rowsPerBucket = new int[BUCKETS];
  private long total;

  /** The groups of the ranges where a set ends: range, then input key to rows. */
  private final Map<Integer, Map<String, Integer>> detailed = new HashMap<>();

  HoldOut(ArtifactStore store, SplitRequest r) {
    this.store = store;
    this.r = r;
  }

  /** A row's place in the seeded order: the sha256 of {@code seed:key}. */
  private byte[] order(String key) {
    return HashSpill.sha256(r.seed() + ":" + key);
  }

  private static int bucket(byte[] order) {
    return ((order[0] & 0xff) << 8) | (order[1] & 0xff);
  }

  /** Which side each range goes to (null: it is split group by group, see {@code keys}). */
  @SuppressWarnings("ArrayRecordComponent") // a carrier, never compared or hashed
  private record Plan(Side[] buckets, Map<String, Side> keys, Integer needs) {}

  SplitResult split() {
    // Sealed eval sets: their normalized inputs (eval sets are small), with the sets that have
    // each.
    Map<String, List<String>> evalSetsByInput = new LinkedHashMap<>();
    Map<String, Integer> keptOutBySet = new TreeMap<>();
    for (DatasetRef set : r.evalSets()) {
      keptOutBySet.put(set.name(), 0);
      try (Rows.RowStream rows = Rows.each(store, set)) {
        for (Numbered x : rows) {
          List<String> names =
              evalSetsByInput.computeIfAbsent(
                  Rows.normalize(x.row().input()), k -> new ArrayList<>());
          if (!names.contains(set.name())) {
            names.add(set.name());
          }
        }
      }
    }
    long distinct;
    try (HashSpill keys = new HashSpill(store.root().resolve("work"), 1)) {
      try (Rows.RowStream rows = Rows.each(store, r.data())) {
        for (Numbered x : rows) {
          byte[] order = order(Rows.normalize(x.row().input()));
          rowsPerBucket[bucket(order)]++;
          keys.add(HashSpill.first8(order)); // the order's own hash counts the distinct inputs
          total++;
        }
      }
      long[] groups = {0};
      keys.forEachPartition(
          sorted -> {
            for (int i = 0; i < sorted.length; i++) {
              if (i == 0 || sorted[i][0] != sorted[i - 1][0]) {
                groups[0]++;
              }
            }
          });
      distinct = groups[0];
    }
    Plan plan = plan();
    while (plan.needs() != null) {
      int needed = plan.needs();
      Map<String, Integer> groups = new HashMap<>();
      try (Rows.RowStream rows = Rows.each(store, r.data())) {
        for (Numbered x : rows) {
          String key = Rows.normalize(x.row().input());
          if (bucket(order(key)) == needed) {
            groups.merge(key, 1, Integer::sum);
          }
        }
      }
      detailed.put(needed, groups);
      plan = plan();
    }

    // The sets, written in one pass, in the data's order.
    try (Rows.Sink train = new Rows.Sink(store, "train");
        Rows.Sink test = new Rows.Sink(store, EvalSetRole.TEST_NAME);
        Rows.Sink validation = new Rows.Sink(store, DatasetActivitiesImpl.VALIDATION_NAME);
        Rows.Sink keptOut = new Rows.Sink(store, DatasetActivitiesImpl.KEPT_OUT_NAME)) {
      Map<String, Integer> evalLeaks = new TreeMap<>();
      r.evalSets().forEach(set -> evalLeaks.put(set.name(), 0));
      try (Rows.RowStream rows = Rows.each(store, r.data())) {
        for (Numbered x : rows) {
          Row row = x.row();
          String key = Rows.normalize(row.input());
          Side side = side(plan, key);
          if (side == Side.TEST) {
            test.add(row);
            continue;
          }
          // Sealed eval sets: a training row whose input occurs in an eval set (the fresh
          // hold-out of a retraining included) is kept out of training and listed, never trained
          // on nor dropped. Taken out after the test set is chosen, so that the test set is the
          // same as before this rule.
          List<String> sets = evalSetsByInput.get(key);
          if (sets != null) {
            ObjectNode line = Rows.node(row);
            line.putPOJO("evalSets", sets);
            keptOut.add(line, row.labeled());
            sets.forEach(set -> keptOutBySet.merge(set, 1, Integer::sum));
          } else {
            (side == Side.VALIDATION ? validation : train).add(row);
          }
        }
      }
      // Leaks are counted on the sets as written: the rules above keep them at 0.
      return new SplitResult(
          train.commit(),
          test.commit(),
          (int) (total - distinct),
          0,
          evalLeaks,
          validation.rows() == 0 ? null : validation.commit(),
          keptOutBySet,
          keptOut.rows() == 0 ? null : keptOut.commit());
    }
  }

  private Side side(Plan plan, String key) {
    Side whole = plan.buckets()[bucket(order(key))];
    return whole != null ? whole : plan.keys().get(key);
  }

  /**
   * Walks the ranges in the seeded order as the split's rule does group by group: a range whose
   * rows all fall inside one set goes whole; one where a set ends is split by its groups, once they
   * have been read ({@code needs}: the range to read first).
   */
  private Plan plan() {
    long wanted = Math.round(total * r.testFraction());
    long validationWanted = Math.round(total * r.validationFraction());
    Side[] buckets = new Side[BUCKETS];
    Map<String, Side> keys = new HashMap<>();
    long testRows = 0;
    long validationRows = 0;
    for (int b = 0; b < BUCKETS; b++) {
      int n = rowsPerBucket[b];
      if (testRows >= wanted && validationRows >= validationWanted) {
        buckets[b] = Side.TRAIN; // and every range after it
        continue;
      }
      if (n == 0) {
        buckets[b] = Side.TRAIN;
        continue;
      }
      if (testRows < wanted && testRows + n < wanted) {
        buckets[b] = Side.TEST;
        testRows += n;
        continue;
      }
      if (testRows >= wanted && validationRows + n < validationWanted) {
        buckets[b] = Side.VALIDATION;
        validationRows += n;
        continue;
      }
      Map<String, Integer> groups = detailed.get(b);
      if (groups == null) {
        return new Plan(buckets, keys, b);
      }
      // Group by group in the seeded order (by the hex of the sha256, as the split always has).
      List<Map.Entry<String, Integer>> ordered = new ArrayList<>(groups.entrySet());
      HexFormat hex = HexFormat.of();
      ordered.sort(
          Map.Entry.comparingByKey(
              (x, y) -> hex.formatHex(order(x)).compareTo(hex.formatHex(order(y)))));
      for (Map.Entry<String, Integer> g : ordered) {
        Side s;
        if (testRows < wanted) {
          s = Side.TEST;
          testRows += g.getValue();
        } else if (validationRows < validationWanted) {
          s = Side.VALIDATION;
          validationRows += g.getValue();
        } else {
          s = Side.TRAIN;
        }
        keys.put(g.getKey(), s);
      }
    }
    return new Plan(buckets, keys, null);
  }
}
