package io.finetune.workflows.eval;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.temporal.activity.ActivityInterface;
import java.util.List;
import java.util.Map;

/** Fast evals: run a model over a dataset through the provider and score its answers. */
@ActivityInterface
public interface EvalActivities {

  /**
   * Runs {@code model} with {@code prompt} as system message on every row (batched, bounded
   * concurrency, heartbeating its offset so a retry resumes), stores the predictions and a
   * per-label report and returns exact-match, per-field accuracy and macro-F1 over the labeled
   * rows.
   */
  EvalResult evaluate(EvalRequest request);

  /**
   * Answers rows {@code [from, to)} of the request's data (as {@link #evaluate} does: batched,
   * bounded concurrency, heartbeating its offset so that a retry resumes without asking again) and
   * stores the answers, one JSON line per row in row order, as an artifact. Scored by {@link
   * #scoreShards} together with the other shards of the same eval; see {@link Evals}.
   */
  ShardAnswers answerShard(ShardRequest request);

  /**
   * Scores the answers of every shard of an eval, merged in row order, exactly as {@link #evaluate}
   * scores its own: the same metrics, predictions file, intervals, label report and run-over-run
   * comparison for the same answers.
   */
  EvalResult scoreShards(ScoreRequest request);

  /** Rows {@code [from, to)} of {@code eval}'s data, to answer as one activity. */
  record ShardRequest(EvalRequest eval, int from, int to) {}

  /** A shard's answers: one JSON line per row of {@code [from, to)}, in row order. */
  record ShardAnswers(int from, int to, ArtifactRef answers) {}

  /** The answers of all shards of {@code eval}, which together cover its data's rows. */
  record ScoreRequest(EvalRequest eval, List<ShardAnswers> shards) {}

  /**
   * {@code keyMetric}: the metric to give a 95% interval for (null: none); {@code pairedWith}: the
   * predictions of {@code pairedModel} on the same data, to compare with row by row (null: none);
   * {@code task}: {@code text} scores free-text answers, null or {@code fields} JSON answers.
   *
   * <p>{@code specName} and {@code label} (what is evaluated: the prompt model's id, or {@code
   * candidate <size>}) track the eval run over run: it is recorded, and compared row by row with
   * the latest eval of the same label by another run of the same spec on the same data (by hash).
   * Null: not tracked (and in requests from before run-over-run).
   */
  record EvalRequest(
      String provider,
      String model,
      String prompt,
      DatasetRef data,
      List<String> outputFields,
      String keyMetric,
      ArtifactRef pairedWith,
      String pairedModel,
      String task,
      Map<String, String> fieldTypes,
      String specName,
      String label,
      // Left out when null, so that requests without it are written as before.
      @JsonInclude(JsonInclude.Include.NON_NULL) ArtifactRef answersFrom) {

    public EvalRequest(
        String provider,
        String model,
        String prompt,
        DatasetRef data,
        List<String> outputFields,
        String keyMetric,
        ArtifactRef pairedWith,
        String pairedModel,
        String task,
        Map<String, String> fieldTypes,
        String specName,
        String label) {
      this(
          provider,
          model,
          prompt,
          data,
          outputFields,
          keyMetric,
          pairedWith,
          pairedModel,
          task,
          fieldTypes,
          specName,
          label,
          null);
    }

    public EvalRequest(
        String provider,
        String model,
        String prompt,
        DatasetRef data,
        List<String> outputFields,
        String keyMetric,
        ArtifactRef pairedWith,
        String pairedModel,
        String task,
        Map<String, String> fieldTypes) {
      this(
          provider,
          model,
          prompt,
          data,
          outputFields,
          keyMetric,
          pairedWith,
          pairedModel,
          task,
          fieldTypes,
          null,
          null);
    }

    public EvalRequest(
        String provider,
        String model,
        String prompt,
        DatasetRef data,
        List<String> outputFields,
        String keyMetric,
        ArtifactRef pairedWith,
        String pairedModel,
        String task) {
      this(
          provider,
          model,
          prompt,
          data,
          outputFields,
          keyMetric,
          pairedWith,
          pairedModel,
          task,
          null);
    }

    public EvalRequest(
        String provider, String model, String prompt, DatasetRef data, List<String> outputFields) {
      this(provider, model, prompt, data, outputFields, null, null, null, null);
    }

    public EvalRequest(
        String provider,
        String model,
        String prompt,
        DatasetRef data,
        List<String> outputFields,
        String keyMetric,
        ArtifactRef pairedWith,
        String pairedModel) {
      this(provider, model, prompt, data, outputFields, keyMetric, pairedWith, pairedModel, null);
    }

    /** The same request for a task ({@code text} or {@code fields}; null: fields). */
    public EvalRequest forTask(String otherTask) {
      return new EvalRequest(
          provider,
          model,
          prompt,
          data,
          outputFields,
          keyMetric,
          pairedWith,
          pairedModel,
          otherTask,
          fieldTypes,
          specName,
          label,
          answersFrom);
    }

    /**
     * The same request with the spec's field types (a field not named is detected from the data),
     * which decide how each field's answers are compared.
     */
    public EvalRequest withFieldTypes(Map<String, String> types) {
      return new EvalRequest(
          provider,
          model,
          prompt,
          data,
          outputFields,
          keyMetric,
          pairedWith,
          pairedModel,
          task,
          types,
          specName,
          label,
          answersFrom);
    }

    /** The same request, with an interval for {@code metric} and compared with {@code other}. */
    public EvalRequest comparedWith(String metric, ArtifactRef otherPredictions, String other) {
      return new EvalRequest(
          provider,
          model,
          prompt,
          data,
          outputFields,
          metric,
          otherPredictions,
          other,
          task,
          fieldTypes,
          specName,
          label,
          answersFrom);
    }

    /**
     * The same request, tracked run over run as {@code label} of spec {@code spec}: compared with
     * the previous run's eval of the same label on the same data.
     */
    public EvalRequest trackedAs(String spec, String what) {
      return new EvalRequest(
          provider,
          model,
          prompt,
          data,
          outputFields,
          keyMetric,
          pairedWith,
          pairedModel,
          task,
          fieldTypes,
          spec,
          what,
          answersFrom);
    }

    /**
     * The same request, taking the answer of any row whose input {@code predictions} (an earlier
     * eval's, of the same model and prompt) answered: only the other rows are sent to the model,
     * e.g. when a corrected test set is scored again.
     */
    public EvalRequest reusingAnswers(ArtifactRef predictions) {
      return new EvalRequest(
          provider,
          model,
          prompt,
          data,
          outputFields,
          keyMetric,
          pairedWith,
          pairedModel,
          task,
          fieldTypes,
          specName,
          label,
          predictions);
    }
  }

  /**
   * An eval's heartbeat: rows answered of the total, and since when this attempt runs having found
   * {@code resumedFrom} rows answered already (for a rate that retries do not inflate). A retry
   * resumes at {@code done}; {@code watch} and the Web UI's pending activities show it.
   */
  record EvalProgress(int done, int total, int resumedFrom, long attemptStartedAtMillis) {}

  /**
   * Quality ({@code metrics}) and what the answers took ({@code usage}; null in histories from
   * before it was measured). {@code labelReport} is a JSON file with each output field's per-label
   * support, precision, recall and F1 (null in histories from before it was written): too big for
   * the metrics, which the CLI prints as columns. {@code previousRun} compares the answers with the
   * previous run's, row by row (null: the eval was not tracked, no earlier run of its spec
   * evaluated the same label on the same data, or a history from before run-over-run).
   *
   * <p>Histories hold this record: append components, never rename or remove one.
   */
  record EvalResult(
      String model,
      String dataset,
      int rows,
      int scoredRows,
      Map<String, Double> metrics,
      ArtifactRef predictions,
      Usage usage,
      Intervals intervals,
      ArtifactRef labelReport,
      RunComparison previousRun) {

    public EvalResult(
        String model,
        String dataset,
        int rows,
        int scoredRows,
        Map<String, Double> metrics,
        ArtifactRef predictions,
        Usage usage,
        Intervals intervals,
        ArtifactRef labelReport) {
      this(
          model,
          dataset,
          rows,
          scoredRows,
          metrics,
          predictions,
          usage,
          intervals,
          labelReport,
          null);
    }

    public EvalResult(
        String model,
        String dataset,
        int rows,
        int scoredRows,
        Map<String, Double> metrics,
        ArtifactRef predictions) {
      this(model, dataset, rows, scoredRows, metrics, predictions, null, null, null);
    }

    public EvalResult(
        String model,
        String dataset,
        int rows,
        int scoredRows,
        Map<String, Double> metrics,
        ArtifactRef predictions,
        Usage usage) {
      this(model, dataset, rows, scoredRows, metrics, predictions, usage, null, null);
    }

    public EvalResult(
        String model,
        String dataset,
        int rows,
        int scoredRows,
        Map<String, Double> metrics,
        ArtifactRef predictions,
        Usage usage,
        Intervals intervals) {
      this(model, dataset, rows, scoredRows, metrics, predictions, usage, intervals, null);
    }
  }

  /**
   * The key metric's 95% interval over the scored rows (seeded bootstrap), and, when the eval was
   * paired with another model's predictions on the same rows, the difference to it with its own
   * interval. Null in histories from before intervals.
   */
  record Intervals(String metric, int rows, double lo, double hi, Comparison vsReference) {}

  /**
   * This model's score minus {@code model}'s on the same rows, with its 95% interval (a paired
   * bootstrap: rows resampled together).
   */
  record Comparison(String model, double difference, double lo, double hi) {
    /** Whether the interval excludes 0: the test set tells the two apart. */
    public boolean tellsApart() {
      return lo > 0 || hi < 0;
    }
  }

  /**
   * This eval against the previous run's eval of the same label, spec and data (equal by hash, so
   * the rows align): {@code metric} before and after, the change with its 95% interval (a seeded,
   * paired bootstrap over the rows), and the rows that went from right to wrong and from wrong to
   * right, listed in {@code changedRows} (JSONL: input, expected, the previous and this answer).
   * {@code previousWorkflowId} and {@code previousRunId} name the earlier run, {@code
   * previousModel} what it evaluated; {@code promptChanged} whether its prompt differed.
   */
  record RunComparison(
      String previousWorkflowId,
      String previousRunId,
      long previousAtMillis,
      String previousModel,
      boolean promptChanged,
      String metric,
      int rows,
      double previousScore,
      double score,
      double change,
      double lo,
      double hi,
      int rightToWrong,
      int wrongToRight,
      ArtifactRef changedRows) {

    /** Whether the interval excludes 0: the change is more than the noise of this set. */
    public boolean tellsApart() {
      return lo > 0 || hi < 0;
    }
  }

  /**
   * Latency and tokens over an eval's requests, and what 1,000 such requests cost by the provider's
   * price table ({@code costPer1kRequests} null when the table has no price for the model). Latency
   * is the answering exchange's own, without waits for retries (null when unknown: answers resumed
   * from an older worker's work file).
   */
  record Usage(
      int requests,
      Double latencyP50Millis,
      Double latencyP95Millis,
      long inputTokens,
      long outputTokens,
      Double costPer1kRequests) {}
}
