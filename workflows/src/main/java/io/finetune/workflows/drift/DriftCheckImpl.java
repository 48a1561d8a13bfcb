package io.finetune.workflows.drift;

import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.dataset.DatasetActivities;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.drift.DriftActivities.BatchSelection;
import io.finetune.workflows.drift.DriftActivities.CompareRequest;
import io.finetune.workflows.drift.DriftActivities.DriftStatistics;
import io.finetune.workflows.drift.DriftActivities.RetrainData;
import io.finetune.workflows.drift.DriftActivities.RetrainRequest;
import io.finetune.workflows.drift.DriftActivities.SelectBatchRequest;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.Evals;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.registry.RegistryActivities;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public class DriftCheckImpl implements DriftCheck {

  private final RegistryActivities registry = ActivityStubs.registry();

  private final DatasetActivities dataset = ActivityStubs.dataset();

  private final DriftActivities drift = ActivityStubs.drift();

  private final EvalActivities eval = ActivityStubs.eval();

  /** Evals of large sets in shards (see {@link Evals}). */
  private final Evals evals = new Evals(eval);

  @Override
  public DriftResult check(DriftCheckInput input) {
    // Version 1 keeps search attributes current; older histories set none.
    boolean searchable =
        Workflow.getVersion("search-attributes", Workflow.DEFAULT_VERSION, 1)
            != Workflow.DEFAULT_VERSION;
    if (searchable) {
      Workflow.upsertTypedSearchAttributes(
          FinetuneSearchAttributes.MODEL.valueSet(input.modelName()),
          FinetuneSearchAttributes.TRIGGER.valueSet("drift-check"));
    }
    ModelVersion current = registry.current(input.modelName());
    PipelineSpec spec = current.spec();
    BatchSelection selected = selectBatch(input);
    if (selected.path() == null) {
      if (searchable) {
        Workflow.upsertTypedSearchAttributes(
            FinetuneSearchAttributes.OUTCOME.valueSet("NOTHING_NEW"));
      }
      return nothingNew(current, input, selected);
    }
    DatasetRef batch =
        dataset.importDataset(
            new ImportRequest(
                "production",
                selected.path(),
                spec.dataset().inputField(),
                spec.dataset().outputField(),
                spec.outputFields(),
                false,
                spec.dataset().format(),
                spec.task()));
    DriftStatistics stats =
        drift.compare(
            new CompareRequest(
                current.dataset(), batch, spec.outputFields(), spec.fieldTypes(), spec.drift()));
    Map<String, Double> live =
        batch.labeledRows() == 0
            ? Map.of()
            : evals
                .evaluate(
                    new EvalRequest(
                            current.provider(),
                            current.modelId(),
                            spec.prompt(),
                            batch,
                            spec.outputFields())
                        .forTask(spec.task())
                        .withFieldTypes(spec.fieldTypes()))
                .metrics();

    PipelineSpec.Drift t = spec.drift();
    List<String> exceeded = new ArrayList<>();
    if (stats.newVocabularyRate() > t.maxNewVocabularyRate()) {
      exceeded.add(
          String.format(
              Locale.ROOT,
              "new-vocabulary rate %.3f > %.3f",
              stats.newVocabularyRate(),
              t.maxNewVocabularyRate()));
    }
    // Statistics from before field types compare every field's labels; typed ones say per field.
    if (stats.fields().isEmpty() && stats.maxLabelDistance() > t.maxLabelDistance()) {
      exceeded.add(
          String.format(
              Locale.ROOT,
              "label distribution distance %.3f > %.3f",
              stats.maxLabelDistance(),
              t.maxLabelDistance()));
    }
    // Each field by its type: a category's label distance, a year never seen in training, a text
    // a classifier tells apart from the training values.
    for (DriftActivities.FieldDrift f : stats.fields()) {
      if (f.exceeded()) {
        exceeded.add(
            String.format(
                Locale.ROOT,
                "%s %s %.3f > %.3f (%s)",
                f.field(),
                f.statistic(),
                f.value(),
                f.limit(),
                f.detail()));
      }
    }
    String liveMetric = spec.textTask() ? Scores.TEXT_EXACT_MATCH : Scores.EXACT_MATCH;
    double accuracy = Scores.of(live, liveMetric);
    if (!live.isEmpty() && accuracy < t.minAccuracy()) {
      exceeded.add(
          String.format(Locale.ROOT, "live %s %.3f < %.3f", liveMetric, accuracy, t.minAccuracy()));
    }
    boolean drifted = !exceeded.isEmpty();
    if (searchable) {
      Workflow.upsertTypedSearchAttributes(
          FinetuneSearchAttributes.DATASET_SHA256.valueSet(batch.sha256()),
          FinetuneSearchAttributes.OUTCOME.valueSet(drifted ? "DRIFT" : "NO_DRIFT"));
    }
    Retraining retraining = Retraining.NONE;
    if (drifted && !input.retrain()) {
      retraining = Retraining.skipped("not started: the check was asked not to retrain");
    } else if (drifted && batch.labeledRows() == 0) {
      retraining = Retraining.skipped("not started: the batch has no labeled rows to retrain with");
    } else if (drifted) {
      retraining = retrain(current, batch, exceeded);
    }
    return new DriftResult(
        current.name(),
        current.version(),
        current.modelId(),
        selected.files(),
        stats,
        live,
        exceeded,
        drifted,
        retraining.workflowId(),
        retraining.freshRowsAdded(),
        retraining.currentModelOnFreshHoldout(),
        retraining.note());
  }

  /**
   * The batch to check. Version 1: a folder gives the files that arrived since the previous check
   * of the model (recorded under this execution's key); before it the path was always one file.
   */
  private BatchSelection selectBatch(DriftCheckInput input) {
    int folders = Workflow.getVersion("batch-folders", Workflow.DEFAULT_VERSION, 1);
    if (folders == Workflow.DEFAULT_VERSION) {
      return new BatchSelection(input.batchPath(), List.of(input.batchPath()), 0);
    }
    String checkKey = Workflow.getInfo().getWorkflowId() + "/" + Workflow.getInfo().getRunId();
    return drift.selectBatch(
        new SelectBatchRequest(input.modelName(), input.batchPath(), checkKey));
  }

  /** A scheduled check of a folder where nothing arrived: recorded as such, nothing measured. */
  private static DriftResult nothingNew(
      ModelVersion current, DriftCheckInput input, BatchSelection selected) {
    String what = "no batch file arrived in " + input.batchPath();
    String taken = "files";
    // Version 1: a check given no batch read the model's traces (drift.source: traces) and says
    // so. Only such checks reach this call, and none ran before it: older histories never do.
    if (input.batchPath() == null
        && Workflow.getVersion("traces-source", Workflow.DEFAULT_VERSION, 1)
            != Workflow.DEFAULT_VERSION) {
      what = "no trace of " + input.modelName() + " arrived";
      taken = "traces";
    }
    String since =
        selected.lastTakenAtMillis() == 0
            ? "yet"
            : "since the previous check took "
                + taken
                + " at "
                + Instant.ofEpochMilli(selected.lastTakenAtMillis());
    return new DriftResult(
        current.name(),
        current.version(),
        current.modelId(),
        List.of(),
        null,
        Map.of(),
        List.of(),
        false,
        null,
        0,
        Map.of(),
        "nothing new: " + what + " " + since);
  }

  /**
   * What a drift check started: the retraining run and the baseline it has to beat, or why it
   * started none although the model drifted.
   */
  private record Retraining(
      String workflowId,
      int freshRowsAdded,
      Map<String, Double> currentModelOnFreshHoldout,
      String note) {
    static final Retraining NONE = new Retraining(null, 0, Map.of(), null);

    static Retraining skipped(String why) {
      return new Retraining(null, 0, Map.of(), why);
    }
  }

  /**
   * Starts a new pipeline on the model's data plus the batch's labeled rows, scored apart on a
   * fresh hold-out that the current model is scored on too.
   */
  private Retraining retrain(ModelVersion current, DatasetRef batch, List<String> exceeded) {
    PipelineSpec spec = current.spec();
    RetrainData data =
        drift.prepareRetraining(
            new RetrainRequest(
                current.dataset(),
                batch,
                spec.drift().freshHoldoutFraction(),
                spec.split().seed()));
    Map<String, Double> currentOnHoldout =
        evals
            .evaluate(
                new EvalRequest(
                        current.provider(),
                        current.modelId(),
                        spec.prompt(),
                        data.freshHoldout(),
                        spec.outputFields())
                    .forTask(spec.task())
                    .withFieldTypes(spec.fieldTypes()))
            .metrics();
    PipelineSpec retrainSpec =
        spec.forRetraining(data.dataset().path(), data.freshHoldout().path());
    // Version 1: one retraining per model at a time, so the id names the model's retraining; a
    // second drift signal while it runs starts nothing. Before, each check had its own.
    int perModel = Workflow.getVersion("one-retraining-per-model", Workflow.DEFAULT_VERSION, 1);
    String retrainId =
        perModel == Workflow.DEFAULT_VERSION
            ? Workflow.getInfo().getWorkflowId() + "-retrain"
            : current.name() + "-retrain";
    // The retraining run outlives this check: it waits for people at its checkpoints.
    FineTunePipeline pipeline =
        Workflow.newChildWorkflowStub(
            FineTunePipeline.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(retrainId)
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                .build());
    Async.function(
        pipeline::run,
        new PipelineInput(
            retrainSpec,
            "drift-check "
                + Workflow.getInfo().getWorkflowId()
                + ": "
                + String.join("; ", exceeded)));
    try {
      Workflow.getWorkflowExecution(pipeline).get();
    } catch (ChildWorkflowFailure e) {
      if (e.getCause() instanceof WorkflowExecutionAlreadyStarted running) {
        return Retraining.skipped(
            "not started: "
                + retrainId
                + " (run "
                + running.getExecution().getRunId()
                + ") is already retraining "
                + current.name());
      }
      throw e;
    }
    return new Retraining(retrainId, data.freshRowsAdded(), currentOnHoldout, null);
  }
}
