package io.finetune.workflows.eval;

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

  record EvalRequest(
      String provider, String model, String prompt, DatasetRef data, List<String> outputFields) {}

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
   * the metrics, which the CLI prints as columns.
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
      ArtifactRef labelReport) {

    public EvalResult(
        String model,
        String dataset,
        int rows,
        int scoredRows,
        Map<String, Double> metrics,
        ArtifactRef predictions,
        Usage usage) {
      this(model, dataset, rows, scoredRows, metrics, predictions, usage, null);
    }

    public EvalResult(
        String model,
        String dataset,
        int rows,
        int scoredRows,
        Map<String, Double> metrics,
        ArtifactRef predictions) {
      this(model, dataset, rows, scoredRows, metrics, predictions, null, null);
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
