package io.finetune.workflows.eval;

import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.dataset.DatasetActivities;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitResult;
import io.finetune.workflows.dataset.SpecImports;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.JudgeActivities.Alignment;
import io.finetune.workflows.eval.JudgeActivities.AlignmentRequest;
import io.finetune.workflows.eval.JudgeActivities.JudgeRequest;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.finetune.workflows.pipeline.JudgeStanding;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Imports and splits the spec's data as the pipeline does, evaluates the second model (if any) on
 * every set, then the model on every set paired with it, then runs the spec's judge on the two. The
 * sets of one model are evaluated in parallel.
 */
public class EvalRunImpl implements EvalRun {
  private final DatasetActivities dataset = ActivityStubs.dataset();
  private final EvalActivities eval = ActivityStubs.eval();

  /** Evals of large sets in shards (see {@link Evals}). */
  private final Evals evals = new Evals(eval);

  private final JudgeActivities judges = ActivityStubs.judge();

  private final EvalRunInput input;
  private final Map<String, EvalResult> modelResults = new LinkedHashMap<>();
  private final Map<String, EvalResult> againstResults = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();
  private DatasetRef test;
  private JudgeResult verdict;
  private JudgeStanding standing;

  @WorkflowInit
  public EvalRunImpl(EvalRunInput input) {
    this.input = input;
  }

  @Override
  public EvalRunResult run(EvalRunInput input) {
    refuseInvalid(input);
    PipelineSpec spec = input.spec();
    DatasetRef train = dataset.importDataset(SpecImports.dataset(spec));
    List<DatasetRef> evalSets = new ArrayList<>();
    for (ImportRequest set : SpecImports.evalSets(spec)) {
      evalSets.add(dataset.importDataset(set));
    }
    // No validation set: it comes from the training rows, which an eval does not use; the test
    // set is the pipeline's either way.
    SplitResult split = dataset.split(SpecImports.split(spec, train, evalSets, 0));
    test = split.test();
    List<DatasetRef> sets = new ArrayList<>();
    sets.add(test);
    sets.addAll(evalSets);

    if (input.against() != null) {
      evaluateAll(input.against(), sets, null, againstResults);
    }
    evaluateAll(input.model(), sets, input.against() == null ? null : againstResults, modelResults);
    judge(spec);
    return status();
  }

  /**
   * Evaluates {@code model} on every set at once, each with an interval of the spec's metric and,
   * with {@code pairedWith}, compared row by row with those results on the same set.
   */
  private void evaluateAll(
      String model,
      List<DatasetRef> sets,
      Map<String, EvalResult> pairedWith,
      Map<String, EvalResult> into) {
    String metric = input.spec().target().metric();
    Map<String, Promise<EvalResult>> running = new LinkedHashMap<>();
    for (DatasetRef set : sets) {
      EvalResult other = pairedWith == null ? null : pairedWith.get(set.name());
      EvalRequest request =
          request(model, set)
              .comparedWith(
                  metric,
                  other == null ? null : other.predictions(),
                  other == null ? null : other.model());
      running.put(set.name(), evals.evaluateAsync(request));
    }
    for (Map.Entry<String, Promise<EvalResult>> r : running.entrySet()) {
      into.put(r.getKey(), r.getValue().get());
    }
  }

  /**
   * With a judge in the spec and a second model: its agreement with people first (when the spec has
   * an alignment file), then the model's test-set answers against the second model's, pairwise in
   * both orders, the order drawn from a seed kept in history, as the pipeline judges. A judge that
   * fails or is refused leaves a note; the scores stand.
   */
  private void judge(PipelineSpec spec) {
    PipelineSpec.Judge j = spec.judge();
    if (j == null) {
      return;
    }
    if (input.against() == null) {
      notes.add(
          "judge "
              + j.model()
              + " not run: it compares two models' answers; add --against to compare with one");
      return;
    }
    String against = input.against();
    if (JudgeActivities.sameFamily(j.model(), JudgeActivities.baseOf(against), against)) {
      notes.add(
          "judge "
              + j.model()
              + " not run: it is of the same family as "
              + against
              + ", whose answers it would prefer");
      return;
    }
    String provider = j.provider() != null ? j.provider() : spec.provider();
    Random random = Workflow.newRandom();
    Alignment alignment = null;
    if (j.alignment() != null) {
      try {
        alignment =
            judges.alignment(
                new AlignmentRequest(
                    provider, j.model(), j.rubric(), j.alignment(), random.nextLong()));
      } catch (ActivityFailure e) {
        Failures.rethrowIfCancelled(e);
        notes.add(
            "judge " + j.model() + ": alignment not measured: " + Failures.innermostMessage(e));
      }
    }
    standing = JudgeStanding.of(j, alignment);
    EvalResult mine = modelResults.get(test.name());
    EvalResult theirs = againstResults.get(test.name());
    try {
      verdict =
          judges.judge(
              new JudgeRequest(
                  provider,
                  j.model(),
                  j.rubric(),
                  test,
                  input.model(),
                  JudgeActivities.baseOf(input.model()),
                  mine.predictions(),
                  against,
                  theirs.predictions(),
                  random.nextLong(),
                  j.maxPairs()));
    } catch (ActivityFailure e) {
      Failures.rethrowIfCancelled(e);
      notes.add("judge " + j.model() + " gave no verdict: " + Failures.innermostMessage(e));
    }
  }

  /** The model's request at its provider, tracked run over run under the model's id. */
  private EvalRequest request(String model, DatasetRef set) {
    PipelineSpec spec = input.spec();
    return new EvalRequest(providerOf(model), model, spec.prompt(), set, spec.outputFields())
        .forTask(spec.task())
        .withFieldTypes(spec.fieldTypes())
        .trackedAs(spec.name(), model);
  }

  /**
   * The input's provider; else, as the pipeline's baseline, the spec's prompt provider for its
   * prompt model, and the spec's provider for any other model.
   */
  private String providerOf(String model) {
    if (input.provider() != null) {
      return input.provider();
    }
    PipelineSpec.Model m = input.spec().model();
    if (m.promptProvider() != null && model.equals(m.promptModel())) {
      return m.promptProvider();
    }
    return input.spec().provider();
  }

  private static void refuseInvalid(EvalRunInput input) {
    if (input.model() == null || input.model().isBlank()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "No model to evaluate: give one with --model", Failures.INVALID_INPUT);
    }
    if (input.model().equals(input.against())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "--against names the model being evaluated (" + input.model() + "); name another one",
          Failures.INVALID_INPUT);
    }
  }

  @Override
  public EvalRunResult status() {
    String testName = test == null ? null : test.name();
    return new EvalRunResult(
        input.spec().name(),
        input.spec().target().metric(),
        input.model(),
        input.against(),
        test,
        testName == null ? null : modelResults.get(testName),
        evalSets(modelResults, testName),
        testName == null ? null : againstResults.get(testName),
        evalSets(againstResults, testName),
        verdict,
        standing,
        List.copyOf(notes));
  }

  private static Map<String, EvalResult> evalSets(Map<String, EvalResult> all, String testName) {
    Map<String, EvalResult> out = new LinkedHashMap<>(all);
    out.remove(testName);
    return out;
  }
}
