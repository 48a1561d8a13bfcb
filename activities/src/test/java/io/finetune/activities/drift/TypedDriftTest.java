package io.finetune.activities.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.drift.DriftActivities.CompareRequest;
import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import io.finetune.workflows.drift.DriftActivities.FieldDrift;
import io.finetune.workflows.spec.PipelineSpec;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drift by field type: a batch drawn like the training data is never drift, whatever the type, and
 * each type's own kind of change is.
 */
class TypedDriftTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FIELDS = List.of("caller", "callback", "amount", "reason");
  private static final PipelineSpec.Drift LIMITS =
      new PipelineSpec.Drift(0.05, 0.10, 0.0, 0.2, null, null, null);
  private static final String[] FIRST = {
    "Dana", "Marcus", "Priya", "Tom", "Ines", "Kofi", "Mei", "Olga", "Raj", "Sven", "Lena", "Omar"
  };
  private static final String[] LAST = {
    "Whitfield", "O'Neil", "Shah", "Berg", "Costa", "Mensah", "Lin", "Ivanova", "Patel", "Holm"
  };
  private static final String[] REASONS = {"billing", "billing", "technical", "account", "other"};

  @TempDir java.nio.file.Path dir;

  /** One labeled call: who, when (in {@code year}), how much, why. */
  private static Row call(Random r, int year, Function<Random, Double> amount, String[] reasons) {
    String caller = FIRST[r.nextInt(FIRST.length)] + " " + LAST[r.nextInt(LAST.length)];
    LocalDate day = LocalDate.of(year, 1, 1).plusDays(r.nextInt(365));
    ObjectNode out =
        JSON.createObjectNode()
            .put("caller", caller)
            .put("callback", day.toString())
            .put("amount", Math.round(amount.apply(r) * 100) / 100.0)
            .put("reason", reasons[r.nextInt(reasons.length)]);
    return new Row("Call from " + caller + " about an order", out);
  }

  private DatasetRef batch(
      ArtifactStore store, long seed, int n, int year, Function<Random, Double> amount) {
    return batch(store, seed, n, year, amount, REASONS, null);
  }

  private DatasetRef batch(
      ArtifactStore store,
      long seed,
      int n,
      int year,
      Function<Random, Double> amount,
      String[] reasons,
      Function<Random, String> caller) {
    Random r = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Row row = call(r, year, amount, reasons);
      if (caller != null) {
        ((ObjectNode) row.output()).put("caller", caller.apply(r));
      }
      rows.add(row);
    }
    return Rows.write(store, "rows-" + seed, rows);
  }

  private static Double usual(Random r) {
    return 20 + r.nextDouble() * 480;
  }

  private DriftActivitiesImpl activities(ArtifactStore store) {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:typed-drift-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("classpath:db/migration").load().migrate();
    return new DriftActivitiesImpl(store, h2);
  }

  private static Map<String, FieldDrift> byField(DriftStatistics stats) {
    return stats.fields().stream().collect(Collectors.toMap(FieldDrift::field, f -> f));
  }

  @Test
  void typesAreDetectedAndStableBatchesAreNeverDrift() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = activities(store);
    DatasetRef train = batch(store, 1, 600, 2023, TypedDriftTest::usual);
    for (long seed = 2; seed < 12; seed++) {
      DatasetRef stable = batch(store, seed, 150, 2023, TypedDriftTest::usual);
      DriftStatistics stats =
          drift.compare(new CompareRequest(train, stable, FIELDS, null, LIMITS));
      Map<String, FieldDrift> f = byField(stats);
      assertEquals("text", f.get("caller").type());
      assertEquals("date", f.get("callback").type());
      assertEquals("number", f.get("amount").type());
      assertEquals("category", f.get("reason").type());
      for (FieldDrift d : stats.fields()) {
        assertFalse(d.exceeded(), "stable batch " + seed + " called drift: " + d);
      }
    }
  }

  @Test
  void aYearNeverSeenInTrainingIsDrift() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = activities(store);
    DatasetRef train = batch(store, 1, 600, 2023, TypedDriftTest::usual);
    DatasetRef nextYear = batch(store, 2, 150, 2024, TypedDriftTest::usual);

    FieldDrift date =
        byField(drift.compare(new CompareRequest(train, nextYear, FIELDS, null, LIMITS)))
            .get("callback");

    assertTrue(date.exceeded(), date.toString());
    assertEquals(1.0, date.value(), 1e-9);
    assertEquals("years never seen in training: 2024 (150 of 150 rows)", date.detail());
  }

  @Test
  void numbersOutOfTheTrainingRangeAreDrift() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = activities(store);
    DatasetRef train = batch(store, 1, 600, 2023, TypedDriftTest::usual);
    DatasetRef bigger = batch(store, 2, 150, 2023, r -> 2_000 + r.nextDouble() * 3_000);

    FieldDrift amount =
        byField(drift.compare(new CompareRequest(train, bigger, FIELDS, null, LIMITS)))
            .get("amount");

    assertTrue(amount.exceeded(), amount.toString());
    assertTrue(
        amount.detail().startsWith("150 of 150 outside the training range"), amount.detail());
  }

  @Test
  void shiftedCategoriesAreDrift_andTooManyCategoriesAreNotCompared() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = activities(store);
    DatasetRef train = batch(store, 1, 600, 2023, TypedDriftTest::usual);
    DatasetRef refunds =
        batch(store, 2, 150, 2023, TypedDriftTest::usual, new String[] {"refund", "billing"}, null);

    DriftStatistics stats = drift.compare(new CompareRequest(train, refunds, FIELDS, null, LIMITS));
    FieldDrift reason = byField(stats).get("reason");
    assertTrue(reason.exceeded(), reason.toString());
    assertTrue(
        reason.detail().startsWith("labels never seen in training: refund"), reason.detail());
    assertEquals(Map.of("reason", reason.value()), stats.labelDistance());

    // Declared a category, the caller's hundred names are too many to compare as labels.
    FieldDrift caller =
        byField(
                drift.compare(
                    new CompareRequest(
                        train,
                        refunds,
                        FIELDS,
                        Map.of("caller", "category"),
                        new PipelineSpec.Drift(0.05, 0.10, 0, 0.2, null, null, 20))))
            .get("caller");
    assertFalse(caller.exceeded());
    assertTrue(caller.detail().startsWith("not compared:"), caller.detail());
  }

  @Test
  void textOfAnotherKindIsTellableApart() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = activities(store);
    DatasetRef train = batch(store, 1, 600, 2023, TypedDriftTest::usual);
    // Callers logged as ticket references instead of names.
    DatasetRef tickets =
        batch(
            store,
            2,
            150,
            2023,
            TypedDriftTest::usual,
            REASONS,
            r -> "ticket #" + (40_000 + r.nextInt(9_000)));

    FieldDrift caller =
        byField(drift.compare(new CompareRequest(train, tickets, FIELDS, null, LIMITS)))
            .get("caller");

    assertEquals("domain AUC", caller.statistic());
    assertTrue(caller.exceeded(), caller.toString());
    assertTrue(caller.value() > 0.95, caller.toString());
  }

  @Test
  void requestsFromBeforeFieldTypesCompareEveryFieldAsLabels() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = activities(store);
    DatasetRef train = batch(store, 1, 600, 2023, TypedDriftTest::usual);
    DatasetRef stable = batch(store, 2, 150, 2023, TypedDriftTest::usual);

    DriftStatistics old = drift.compare(new CompareRequest(train, stable, FIELDS));

    assertTrue(old.fields().isEmpty());
    assertEquals(FIELDS.size(), old.labelDistance().size());
    // The failure the field types fix: every batch has new dates, so their labels always differ.
    assertTrue(old.labelDistance().get("callback") > 0.5, old.labelDistance().toString());
  }
}
