package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.fields.FieldTypes;
import io.finetune.activities.provider.CallScope;
import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.provider.ProviderClient.ChatAnswer;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalProgress;
import io.finetune.workflows.eval.EvalActivities.RunComparison;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import javax.sql.DataSource;

public class EvalActivitiesImpl implements EvalActivities {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 32;

  private final ArtifactStore store;
  private final Providers providers;
  private final ExecutorService inference;
  private final RunOverRun runOverRun;

  /**
   * @param inference bounds how many requests go to providers at once (shared by all evals)
   * @param db where tracked evals are recorded and found again, run over run (null: evals are not
   *     compared with earlier runs)
   */
  public EvalActivitiesImpl(
      ArtifactStore store, Providers providers, ExecutorService inference, DataSource db) {
    this.store = store;
    this.providers = providers;
    this.inference = inference;
    this.runOverRun = db == null ? null : new RunOverRun(db, store);
  }

  /** Evals that are not compared with earlier runs. */
  public EvalActivitiesImpl(ArtifactStore store, Providers providers, ExecutorService inference) {
    this(store, providers, inference, null);
  }

  @Override
  public EvalResult evaluate(EvalRequest r) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    ProviderClient client = providers.client(r.provider());
    List<Row> rows = Rows.read(store, r.data());
    Map<String, String> earlier = earlierAnswers(r.answersFrom());

    // Answers so far live in a work file of this activity execution: the same for each of its
    // retries, apart from any other run evaluating the same model on the same data. The heartbeat
    // says how many of its lines are complete, so a retry resumes there instead of paying again.
    WorkFile work = WorkFile.of(store, "eval", ctx.getInfo());
    Path partial = work.path;
    int done = work.resume(lastHeartbeat(ctx)).size();
    Progress progress = new Progress(rows.size(), done, System.currentTimeMillis());

    try (BufferedWriter out =
        Files.newBufferedWriter(
            partial,
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      while (done < rows.size()) {
        int end = Math.min(rows.size(), done + BATCH);
        for (ChatAnswer answer :
            answerBatch(ctx, client, r, rows.subList(done, end), earlier, progress.at(done))) {
          out.write(JSON.writeValueAsString(answer));
          out.newLine();
        }
        out.flush();
        done = end;
        ctx.heartbeat(progress.at(done));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }

    List<ChatAnswer> answers = readAnswers(partial, rows.size());
    boolean text = PipelineSpec.TASK_TEXT.equals(r.task());
    AnswerScorer scorer =
        text ? null : new AnswerScorer(FieldTypes.resolve(r.outputFields(), r.fieldTypes(), rows));
    TextAnswerScorer textScorer = text ? new TextAnswerScorer() : null;
    ArtifactRef predictions =
        store.writeLines(
            "predictions",
            "jsonl",
            () ->
                java.util.stream.IntStream.range(0, rows.size())
                    .mapToObj(
                        i ->
                            Rows.json(
                                text
                                    ? textScorer.add(rows.get(i), answers.get(i).text())
                                    : scorer.add(rows.get(i), answers.get(i).text())))
                    .iterator());
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
    // Before the work file goes: should recording fail, a retry rescores without paying again.
    RunComparison previousRun =
        runOverRun == null
            ? null
            : runOverRun.recordAndCompare(
                r, ctx.getInfo().getWorkflowId(), ctx.getInfo().getRunId(), predictions, metrics);
    work.delete();
    return new EvalResult(
        r.model(),
        r.data().name(),
        rows.size(),
        text ? textScorer.scored() : scorer.scored(),
        metrics,
        predictions,
        UsageSummary.of(answers, client.config().price(r.model()).orElse(null)),
        ScoreIntervals.of(
            store, r.keyMetric(), predictions, r.pairedWith(), r.pairedModel(), r.data().sha256()),
        labelReport,
        previousRun);
  }

  /** The answers of an earlier eval's predictions by input (none when there is none). */
  private Map<String, String> earlierAnswers(ArtifactRef predictions) {
    if (predictions == null) {
      return Map.of();
    }
    Map<String, String> answers = new HashMap<>();
    try (BufferedReader in =
        Files.newBufferedReader(store.existing(predictions.path()), StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode p = JSON.readTree(line);
        if (p.path("input").isTextual() && p.path("answer").isTextual()) {
          answers.putIfAbsent(p.get("input").asText(), p.get("answer").asText());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return answers;
  }

  /** Builds the heartbeat for a number of rows answered. */
  private record Progress(int total, int resumedFrom, long startedAtMillis) {
    EvalProgress at(int done) {
      return new EvalProgress(done, total, resumedFrom, startedAtMillis);
    }
  }

  /** Rows answered by earlier attempts; heartbeats of older workers carried the bare number. */
  private static int lastHeartbeat(ActivityExecutionContext ctx) {
    try {
      return ctx.getHeartbeatDetails(EvalProgress.class).map(EvalProgress::done).orElse(0);
    } catch (RuntimeException notAProgressRecord) {
      return ctx.getHeartbeatDetails(Integer.class).orElse(0);
    }
  }

  /** The work file's answers; workers before usage was measured wrote bare strings. */
  private static List<ChatAnswer> readAnswers(Path partial, int expected) {
    try {
      List<ChatAnswer> answers = new ArrayList<>(expected);
      for (String line : Files.readAllLines(partial, StandardCharsets.UTF_8)) {
        JsonNode node = JSON.readTree(line);
        answers.add(
            node.isTextual()
                ? new ChatAnswer(node.asText(), 0, 0, Double.NaN)
                : JSON.treeToValue(node, ChatAnswer.class));
      }
      if (answers.size() != expected) {
        throw new IllegalStateException(
            "work file " + partial + " has " + answers.size() + " answers, expected " + expected);
      }
      return answers;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Asks for a batch's answers at once. When one request fails or the eval is cancelled, the
   * requests not yet answered are cancelled too: nobody would read their answers, and each one
   * costs.
   */
  private List<ChatAnswer> answerBatch(
      ActivityExecutionContext ctx,
      ProviderClient client,
      EvalRequest r,
      List<Row> batch,
      Map<String, String> earlier,
      EvalProgress done) {
    CallScope calls = new CallScope();
    List<Future<ChatAnswer>> pending = new ArrayList<>(batch.size());
    try {
      for (Row row : batch) {
        String known = row.context().isEmpty() ? earlier.get(row.input()) : null;
        if (known != null) {
          // Answered by an earlier eval of the same model and prompt: not paid for twice.
          pending.add(CompletableFuture.completedFuture(new ChatAnswer(known, 0, 0, Double.NaN)));
          continue;
        }
        // A chat row's context (its system message, earlier turns) goes before its input.
        pending.add(
            inference.submit(
                () ->
                    row.context().isEmpty()
                        ? client.complete(r.model(), r.prompt(), row.input(), calls)
                        : client.complete(r.model(), row.messages(r.prompt()), calls)));
      }
      List<ChatAnswer> answers = new ArrayList<>(batch.size());
      for (Future<ChatAnswer> f : pending) {
        answers.add(Heartbeating.await(ctx, f, done));
      }
      return answers;
    } catch (RuntimeException | Error e) {
      pending.forEach(f -> f.cancel(true)); // the queued ones never start
      calls.cancel(); // the running ones are aborted at the socket
      throw e;
    }
  }
}
