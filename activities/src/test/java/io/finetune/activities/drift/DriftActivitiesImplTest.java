package io.finetune.activities.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.drift.DriftActivities.CompareRequest;
import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import io.finetune.workflows.drift.DriftActivities.RetrainData;
import io.finetune.workflows.drift.DriftActivities.RetrainRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    DriftActivitiesImpl drift = new DriftActivitiesImpl(store);
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
    DriftActivitiesImpl drift = new DriftActivitiesImpl(store);
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
}
