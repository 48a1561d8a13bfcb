package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fields.FieldTypes;
import io.finetune.activities.provider.ProviderClient.ChatAnswer;
import io.finetune.activities.provider.ProviderConfig.Price;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.RunComparison;
import io.finetune.workflows.spec.PipelineSpec;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Scores an eval's answers against its data, both read one line at a time side by side: the
 * predictions file, metrics, label report, usage, intervals and run-over-run comparison. The same
 * for one {@code evaluate} activity and for the shards of a large eval, so that the same answers
 * give the same result (and the same predictions file, byte for byte) either way. Memory holds
 * counts and one number per row (for the bootstrap), never the rows or answers.
 */
final class EvalScoring {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How often a long scoring says it is alive, in rows. */
  private static final int HEARTBEAT_ROWS = 2000;

  private final ArtifactStore store;
  private final RunOverRun runOverRun;

  /**
   * @param runOverRun where tracked evals are recorded and compared (null: they are not)
   */
  EvalScoring(ArtifactStore store, RunOverRun runOverRun) {
    this.store = store;
    this.runOverRun = runOverRun;
  }

  /**
   * Scores the answers in {@code answerFiles} (one JSON line per row of the data, in row order,
   * across the files) against the request's data.
   *
   * @param workflowId and {@code runId}: the eval's run, to record it run over run
   * @param price the model's price, or null when unknown
   * @param alive called now and then during a long scoring (a heartbeat)
   */
  EvalResult score(
      EvalRequest r,
      String workflowId,
      String runId,
      List<Path> answerFiles,
      Price price,
      Runnable alive) {
    boolean text = PipelineSpec.TASK_TEXT.equals(r.task());
    // Field types the spec does not name are detected from the data: a pass of its own.
    AnswerScorer scorer =
        text
            ? null
            : new AnswerScorer(
                FieldTypes.resolve(
                    r.outputFields(), r.fieldTypes(), EvalRows.all(store, r.data())));
    TextAnswerScorer textScorer = text ? new TextAnswerScorer() : null;
    UsageSummary.Totals usage = new UsageSummary.Totals();
    int[] rows = {0};
    ArtifactRef predictions =
        store.write(
            "predictions",
            "jsonl",
            out -> {
              Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
              try (JsonLines<Row> data = EvalRows.read(store, r.data(), 0, Long.MAX_VALUE);
                  JsonLines<ChatAnswer> answers = JsonLines.of(answerFiles, EvalRows::answer)) {
                while (data.hasNext() && answers.hasNext()) {
                  Row row = data.next();
                  ChatAnswer answer = answers.next();
                  usage.add(answer);
                  w.write(
                      Rows.json(
                          text
                              ? textScorer.add(row, answer.text())
                              : scorer.add(row, answer.text())));
                  w.write('\n');
                  if (++rows[0] % HEARTBEAT_ROWS == 0) {
                    alive.run();
                  }
                }
                if (data.hasNext() || answers.hasNext()) {
                  throw new IllegalStateException(
                      "answers "
                          + answerFiles
                          + " do not match the data "
                          + r.data().path()
                          + " line for line: "
                          + (data.hasNext() ? "fewer answers" : "more answers")
                          + " than its "
                          + r.data().rows()
                          + " rows");
                }
              }
              w.flush();
            });
    alive.run();
    // Written after the predictions: the scorer counts labels as their lines are written. Text
    // answers have no labels.
    ArtifactRef labelReport =
        text
            ? null
            : store.write(
                "reports",
                "json",
                out -> JSON.writerWithDefaultPrettyPrinter().writeValue(out, scorer.labelReport()));
    Map<String, Double> metrics = text ? textScorer.metrics() : scorer.metrics();
    RunComparison previousRun =
        runOverRun == null
            ? null
            : runOverRun.recordAndCompare(r, workflowId, runId, predictions, metrics);
    alive.run();
    return new EvalResult(
        r.model(),
        r.data().name(),
        rows[0],
        text ? textScorer.scored() : scorer.scored(),
        metrics,
        predictions,
        usage.usage(price),
        ScoreIntervals.of(
            store, r.keyMetric(), predictions, r.pairedWith(), r.pairedModel(), r.data().sha256()),
        labelReport,
        previousRun);
  }
}
