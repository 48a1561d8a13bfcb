package io.finetune.activities.drift;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fields.FieldTypes;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.drift.DriftActivities;
import io.finetune.workflows.drift.DriftActivities.FieldDrift;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.spec.EvalSetRole;
import io.finetune.workflows.spec.FieldType;
import io.finetune.workflows.spec.PipelineSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.sql.DataSource;

public class DriftActivitiesImpl implements DriftActivities {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ArtifactStore store;
  private final BatchInbox inbox;
  private final RegistryActivitiesImpl registry;
  private final TraceSource traces;

  /** Batches from files and folders only. */
  public DriftActivitiesImpl(ArtifactStore store, DataSource db) {
    this(store, db, null);
  }

  /** Also from the gateway's traces, for models whose spec says {@code drift.source: traces}. */
  public DriftActivitiesImpl(ArtifactStore store, DataSource db, TraceSource traces) {
    this.store = store;
    this.inbox = new BatchInbox(store, db);
    this.registry = new RegistryActivitiesImpl(db);
    this.traces = traces;
  }

  /**
   * A check given a file or folder reads it, whatever the spec says; one given none reads where the
   * current version's spec says ({@code drift.source}). Decided here, in the activity, so that the
   * workflow code is the same for both sources.
   */
  @Override
  public BatchSelection selectBatch(SelectBatchRequest request) {
    if (request.path() != null && !request.path().isBlank()) {
      return inbox.select(request);
    }
    ModelVersion current = registry.current(request.modelName());
    PipelineSpec.Drift drift = current.spec() == null ? null : current.spec().drift();
    if (drift == null || !drift.readsTraces()) {
      throw Failures.invalidInput(
          "No batch given, and model '"
              + request.modelName()
              + "' v"
              + current.version()
              + " reads drift batches from a file or folder (its spec has no drift.source:"
              + " traces): give --batch FILE|FOLDER");
    }
    if (traces == null) {
      throw Failures.invalidInput(
          "Model '"
              + request.modelName()
              + "' reads drift batches from the gateway's traces (drift.source: traces), and this"
              + " worker has no trace source configured");
    }
    return traces.select(current, request.checkKey());
  }

  /**
   * Training rows the field statistics compare with the batch: all of them up to this many, else a
   * seeded sample of this many (a label distribution or a classifier's AUC changes little).
   */
  static final int TRAIN_SAMPLE = 50_000;

  @Override
  public DriftStatistics compare(CompareRequest r) {
    // The training data streams: its vocabulary (bounded by the language, not the rows) and a
    // seeded sample of its rows for the field statistics (all of them up to TRAIN_SAMPLE rows).
    Set<String> vocabulary = new HashSet<>();
    List<Row> train = new ArrayList<>();
    Random sampler = new Random(seed(r));
    long seen = 0;
    try (Rows.RowStream rows = Rows.each(store, r.train())) {
      for (Rows.Numbered x : rows) {
        vocabulary.addAll(Rows.words(x.row().input()));
        seen++;
        if (train.size() < TRAIN_SAMPLE) {
          train.add(x.row());
        } else {
          long slot = (long) (sampler.nextDouble() * seen);
          if (slot < TRAIN_SAMPLE) {
            train.set((int) slot, x.row()); // reservoir sampling: each row kept alike
          }
        }
      }
    }
    List<Row> batch = Rows.read(store, r.batch());
    Map<String, Integer> newWords = new TreeMap<>();
    int words = 0;
    int unseen = 0;
    for (Row row : batch) {
      for (String w : Rows.words(row.input())) {
        words++;
        if (!vocabulary.contains(w)) {
          unseen++;
          newWords.merge(w, 1, Integer::sum);
        }
      }
    }
    double newVocabularyRate = words == 0 ? 0 : unseen / (double) words;

    List<Row> labeled = batch.stream().filter(Row::labeled).toList();
    Map<String, Double> distance = new LinkedHashMap<>();
    ObjectNode report = JSON.createObjectNode();
    List<FieldDrift> fieldDrifts = new ArrayList<>();
    if (r.thresholds() == null) {
      // Requests from before field types: every field's labels compared as categories.
      ObjectNode dists = report.putObject("labelDistributions");
      for (String f : r.outputFields()) {
        Map<String, Double> p = distribution(values(train, f));
        Map<String, Double> q = distribution(values(labeled, f));
        distance.put(f, labeled.isEmpty() ? 0.0 : jensenShannonDistance(p, q));
        dists.putObject(f).putPOJO("training", p).putPOJO("production", q);
      }
    } else {
      Map<String, FieldType> types = FieldTypes.resolve(r.outputFields(), r.fieldTypes(), train);
      FieldDrifts drifts = new FieldDrifts(r.thresholds(), seed(r));
      ObjectNode byField = report.putObject("fields");
      for (Map.Entry<String, FieldType> f : types.entrySet()) {
        FieldDrift d =
            drifts.compare(f.getKey(), f.getValue(), train, labeled, byField.putObject(f.getKey()));
        fieldDrifts.add(d);
        if (d.statistic().equals(FieldDrifts.LABEL_DISTANCE) && !d.detail().startsWith("not")) {
          distance.put(f.getKey(), d.value());
        }
      }
      if (r.outputFields().isEmpty()) {
        // A text task: its whole answers are the text a classifier tries to tell apart.
        fieldDrifts.add(
            drifts.answers(
                answers(train), answers(labeled), byField.putObject(FieldDrifts.WHOLE_ANSWER)));
      }
    }
    double maxDistance = distance.values().stream().mapToDouble(d -> d).max().orElse(0);
    if (r.outputFields().isEmpty()) {
      // A text task's answers are free text: no labels to compare, only the vocabulary.
      report.put(
          "note", "label statistics skipped: a text task's answers are free text, not labels");
    }
    report.put("newVocabularyRate", newVocabularyRate);
    report.putPOJO("labelDistance", distance);
    report.putPOJO(
        "topNewWords",
        newWords.entrySet().stream()
            .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
            .limit(30)
            .collect(
                Collectors.toMap(
                    Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new)));
    report.put("batchRows", batch.size());
    report.put("labeledRows", labeled.size());
    ArtifactRef ref =
        store.write(
            "reports",
            "json",
            out -> JSON.writerWithDefaultPrettyPrinter().writeValue(out, report));
    return new DriftStatistics(
        newVocabularyRate, distance, maxDistance, batch.size(), labeled.size(), ref, fieldDrifts);
  }

  /**
   * The model's data plus the batch's labeled rows, a seeded share of which is set apart as the
   * fresh hold-out. The hold-out is sealed: a fresh row whose normalized input is already in the
   * model's data is not fresh (the current model may have trained on it) and goes to the retraining
   * data, never to the hold-out; the hold-out is chosen by normalized input, so fresh rows with the
   * same input land on the same side. No input of the hold-out is then in the retraining data, and
   * the retraining's split has nothing to keep out for it.
   */
  @Override
  public RetrainData prepareRetraining(RetrainRequest r) {
    // Streamed: the batch's inputs are held (a batch is a share of the traffic), the model's data
    // is copied row by row, noting which of the batch's inputs it has.
    Set<String> batchInputs = new HashSet<>();
    try (Rows.RowStream rows = Rows.each(store, r.batch())) {
      for (Rows.Numbered x : rows) {
        if (x.row().labeled()) {
          batchInputs.add(Rows.normalize(x.row().input()));
        }
      }
    }
    Set<String> inModelData = new HashSet<>();
    try (Rows.Sink data = new Rows.Sink(store, "retrain");
        Rows.Sink holdout = new Rows.Sink(store, EvalSetRole.FRESH_HOLDOUT_NAME)) {
      try (Rows.RowStream rows = Rows.each(store, r.train())) {
        for (Rows.Numbered x : rows) {
          data.add(x.row());
          String key = Rows.normalize(x.row().input());
          if (batchInputs.contains(key)) {
            inModelData.add(key);
          }
        }
      }
      int added = 0;
      try (Rows.RowStream rows = Rows.each(store, r.batch())) {
        for (Rows.Numbered x : rows) {
          Row row = x.row();
          if (!row.labeled()) {
            continue;
          }
          String key = Rows.normalize(row.input());
          // Seeded by content, so the same batch always splits the same way.
          String h =
              ArtifactStore.sha256Hex(
                  (r.seed() + ":fresh:" + key).getBytes(StandardCharsets.UTF_8));
          if (!inModelData.contains(key)
              && Integer.parseInt(h.substring(0, 4), 16) / 65536.0 < r.holdoutFraction()) {
            holdout.add(row);
          } else {
            data.add(row);
            added++;
          }
        }
      }
      return new RetrainData(data.commit(), holdout.commit(), added);
    }
  }

  /** The share of each value among {@code values}. */
  static Map<String, Double> distribution(List<String> values) {
    Map<String, Double> d = new TreeMap<>();
    values.forEach(v -> d.merge(v, 1.0, Double::sum));
    d.replaceAll((k, v) -> v / Math.max(1, values.size()));
    return d;
  }

  private static List<String> answers(List<Row> rows) {
    return rows.stream().filter(Row::labeled).map(Row::answerText).toList();
  }

  private static List<String> values(List<Row> rows, String field) {
    return rows.stream().map(row -> row.value(field)).toList();
  }

  /** The seed of a comparison's sampling: the two datasets' hashes, so a retry samples the same. */
  private static long seed(CompareRequest r) {
    return (r.train().sha256() + r.batch().sha256()).hashCode();
  }

  /** sqrt of the Jensen-Shannon divergence (base 2): 0 for equal distributions, 1 for disjoint. */
  static double jensenShannonDistance(Map<String, Double> p, Map<String, Double> q) {
    Set<String> keys = new HashSet<>(p.keySet());
    keys.addAll(q.keySet());
    double js = 0;
    for (String k : keys) {
      double a = p.getOrDefault(k, 0.0);
      double b = q.getOrDefault(k, 0.0);
      double m = (a + b) / 2;
      js += (a > 0 ? a * log2(a / m) : 0) / 2 + (b > 0 ? b * log2(b / m) : 0) / 2;
    }
    return Math.sqrt(Math.max(0, js));
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
