package io.finetune.activities.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.drift.DriftActivities.BatchSelection;
import io.finetune.workflows.drift.DriftActivities.CompareRequest;
import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import io.finetune.workflows.drift.DriftActivities.RetrainData;
import io.finetune.workflows.drift.DriftActivities.RetrainRequest;
import io.finetune.workflows.drift.DriftActivities.SelectBatchRequest;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriftActivitiesImplTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;

  private DatasetRef rows(ArtifactStore store, String name, String text, String... labels) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < labels.length; i++) {
      rows.add(
          new Row(
              text + " order " + (1000 + i),
              labels[i] == null ? null : JSON.createObjectNode().put("category", labels[i])));
    }
    return Rows.write(store, name, rows);
  }

  /** A fresh database with the worker's migrations. */
  private static DataSource db() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:drift-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("classpath:db/migration").load().migrate();
    return h2;
  }

  @Test
  void aBatchFolderGivesEachCheckTheFilesThatArrivedSinceThePreviousOne() throws Exception {
    ArtifactStore store = new ArtifactStore(dir.resolve("store"));
    DriftActivitiesImpl drift = new DriftActivitiesImpl(store, db());
    Path inbox = Files.createDirectories(dir.resolve("inbox"));
    Files.writeString(inbox.resolve("monday.jsonl"), "{\"input\": \"a\"}\n");
    Files.writeString(inbox.resolve("notes.txt"), "not a batch");

    BatchSelection first =
        drift.selectBatch(new SelectBatchRequest("triage", inbox.toString(), "check-1/run-1"));
    assertEquals(List.of(inbox.resolve("monday.jsonl").toString()), first.files());
    assertEquals("{\"input\": \"a\"}\n", Files.readString(Path.of(first.path())));

    // A retry of the same check takes the same files, even if more arrived meanwhile.
    Files.writeString(inbox.resolve("tuesday.jsonl"), "{\"input\": \"b\"}"); // no final newline
    Files.writeString(inbox.resolve("copy-of-monday.jsonl"), "{\"input\": \"a\"}\n");
    assertEquals(
        first,
        drift.selectBatch(new SelectBatchRequest("triage", inbox.toString(), "check-1/run-1")));

    BatchSelection second =
        drift.selectBatch(new SelectBatchRequest("triage", inbox.toString(), "check-2/run-1"));
    assertEquals(
        List.of(inbox.resolve("tuesday.jsonl").toString()),
        second.files(),
        "monday's content was checked already, whatever the file is called");
    assertEquals("{\"input\": \"b\"}\n", Files.readString(Path.of(second.path())));

    BatchSelection third =
        drift.selectBatch(new SelectBatchRequest("triage", inbox.toString(), "check-3/run-1"));
    assertNull(third.path());
    assertTrue(third.files().isEmpty());
    assertTrue(third.lastTakenAtMillis() > 0, "when files last arrived");

    // Another model has its own view of the folder: both contents (monday's twice) are new to it.
    assertEquals(
        2,
        drift
            .selectBatch(new SelectBatchRequest("other", inbox.toString(), "check-4/run-1"))
            .files()
            .size());
  }

  @Test
  void aSingleBatchFileIsCheckedAsItIsAndAMissingOneIsRefused() throws Exception {
    DriftActivitiesImpl drift = new DriftActivitiesImpl(new ArtifactStore(dir), db());
    Path file = Files.writeString(dir.resolve("batch.jsonl"), "{\"input\": \"a\"}\n");
    BatchSelection s =
        drift.selectBatch(new SelectBatchRequest("triage", file.toString(), "check-1/run-1"));
    assertEquals(file.toString(), s.path());

    ApplicationFailure missing =
        assertThrows(
            ApplicationFailure.class,
            () ->
                drift.selectBatch(
                    new SelectBatchRequest("triage", dir.resolve("nope").toString(), "k")));
    assertEquals("InvalidInput", missing.getType());
    assertTrue(missing.getOriginalMessage().endsWith("nope: no such batch file or folder"));
  }

  @Test
  void jensenShannonDistanceIsZeroForEqualAndOneForDisjointDistributions() {
    assertEquals(
        0.0,
        DriftActivitiesImpl.jensenShannonDistance(
            Map.of("a", 0.5, "b", 0.5), Map.of("a", 0.5, "b", 0.5)),
        1e-9);
    assertEquals(
        1.0, DriftActivitiesImpl.jensenShannonDistance(Map.of("a", 1.0), Map.of("b", 1.0)), 1e-9);
  }

  @Test
  void newWordsAndShiftedLabelsAreMeasured_numbersAreNotNewWords() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = new DriftActivitiesImpl(store, db());
    DatasetRef train =
        rows(store, "train", "my invoice is wrong", "billing", "billing", "tech", "tech");
    DatasetRef same = rows(store, "same", "my invoice is wrong", "billing", "tech", null);
    DatasetRef shifted = rows(store, "shifted", "my passkey is wrong", "account", "account");

    DriftStatistics calm = drift.compare(new CompareRequest(train, same, List.of("category")));
    assertEquals(0.0, calm.newVocabularyRate(), 1e-9);
    assertEquals(0.0, calm.maxLabelDistance(), 1e-9);
    assertEquals(2, calm.labeledRows());

    DriftStatistics moved = drift.compare(new CompareRequest(train, shifted, List.of("category")));
    assertEquals(0.2, moved.newVocabularyRate(), 1e-9, "1 of 5 words; order numbers are not words");
    assertEquals(1.0, moved.maxLabelDistance(), 1e-9);
  }

  @Test
  void retrainingDataAddsFreshLabeledRowsAndHoldsOutASeededShare() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = new DriftActivitiesImpl(store, db());
    DatasetRef train = rows(store, "train", "old text", "a", "b");
    String[] labels = new String[200];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 10 == 0 ? null : "c";
    }
    DatasetRef batch = rows(store, "batch", "fresh text", labels);

    RetrainData r = drift.prepareRetraining(new RetrainRequest(train, batch, 0.2, 7));
    RetrainData again = drift.prepareRetraining(new RetrainRequest(train, batch, 0.2, 7));

    assertEquals(r, again);
    assertEquals(180, r.freshRowsAdded() + r.freshHoldout().rows(), "unlabeled rows are not used");
    assertEquals(2 + r.freshRowsAdded(), r.dataset().rows());
    assertTrue(r.freshHoldout().rows() > 20 && r.freshHoldout().rows() < 60, "about 20%");
  }

  @Test
  void theFreshHoldOutIsSealedNoneOfItsInputsIsInTheRetrainingData() {
    ArtifactStore store = new ArtifactStore(dir);
    DriftActivitiesImpl drift = new DriftActivitiesImpl(store, db());
    List<Row> old = new ArrayList<>();
    List<Row> fresh = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      old.add(new Row("asked before " + i, JSON.createObjectNode().put("category", "a")));
      // The same input as an old row, in other case, spacing and punctuation: not fresh.
      fresh.add(new Row("Asked  BEFORE, " + i + "!", JSON.createObjectNode().put("category", "a")));
      // Each new input twice: both copies land on the same side.
      fresh.add(new Row("new question " + i, JSON.createObjectNode().put("category", "b")));
      fresh.add(new Row("New question " + i + ".", JSON.createObjectNode().put("category", "b")));
    }
    DatasetRef train = Rows.write(store, "train", old);
    DatasetRef batch = Rows.write(store, "batch", fresh);

    RetrainData r = drift.prepareRetraining(new RetrainRequest(train, batch, 0.2, 7));

    java.util.Set<String> retraining = new java.util.HashSet<>();
    Rows.read(store, r.dataset()).forEach(x -> retraining.add(Rows.normalize(x.input())));
    List<Row> holdout = Rows.read(store, r.freshHoldout());
    assertTrue(holdout.size() > 20 && holdout.size() < 70, "about 20% of 100 pairs: " + holdout);
    assertEquals(300, r.freshRowsAdded() + holdout.size(), "no fresh row is dropped");
    assertEquals(100 + r.freshRowsAdded(), r.dataset().rows());
    for (Row x : holdout) {
      assertTrue(x.input().toLowerCase(Locale.ROOT).startsWith("new question"), x.input());
      assertTrue(!retraining.contains(Rows.normalize(x.input())), "leaks: " + x.input());
    }
    assertEquals(0, holdout.size() % 2, "duplicates of a fresh input stay together");
  }
}
