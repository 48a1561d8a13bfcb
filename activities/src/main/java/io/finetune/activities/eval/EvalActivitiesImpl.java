package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.CallScope;
import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.provider.ProviderClient.ChatAnswer;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.EvalActivities.EvalProgress;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import javax.sql.DataSource;

public class EvalActivitiesImpl implements EvalActivities {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The heartbeat vouches for the answers written every this many rows. */
  private static final int BATCH = 32;

  private final ArtifactStore store;
  private final Providers providers;
  private final ExecutorService inference;

  /**
   * How many of one eval's requests are in flight at once: twice the inference pool's threads, so
   * that the pool (which bounds the provider's concurrency, shared by every eval) always has the
   * next request queued.
   */
  private final int window;

  private final EvalScoring scoring;

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
    this.window =
        inference instanceof ThreadPoolExecutor pool
            ? Math.max(BATCH, 2 * pool.getMaximumPoolSize())
            : 4 * BATCH;
    this.scoring = new EvalScoring(store, db == null ? null : new RunOverRun(db, store));
  }

  /** Evals that are not compared with earlier runs. */
  public EvalActivitiesImpl(ArtifactStore store, Providers providers, ExecutorService inference) {
    this(store, providers, inference, null);
  }

  @Override
  public EvalResult evaluate(EvalRequest r) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    ProviderClient client = providers.client(r.provider());

    // Answers so far live in a work file of this activity execution: the same for each of its
    // retries, apart from any other run evaluating the same model on the same data. The heartbeat
    // says how many of its lines are complete, so a retry resumes there instead of paying again.
    WorkFile work = WorkFile.of(store, "eval", ctx.getInfo());
    Progress progress = answer(ctx, client, r, 0, Long.MAX_VALUE, r.data().rows(), work);
    EvalResult result =
        scoring.score(
            r,
            ctx.getInfo().getWorkflowId(),
            ctx.getInfo().getRunId(),
            List.of(work.path),
            client.config().price(r.model()).orElse(null),
            () -> ctx.heartbeat(progress.at(progress.total())));
    // Only once scored and recorded: should that fail, a retry rescores without paying again.
    work.delete();
    return result;
  }

  @Override
  public ShardAnswers answerShard(ShardRequest s) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    EvalRequest r = s.eval();
    if (s.from() < 0 || s.to() <= s.from() || s.to() > r.data().rows()) {
      throw Failures.invalidInput(
          "Rows ["
              + s.from()
              + ", "
              + s.to()
              + ") are not a shard of "
              + r.data().rows()
              + " rows");
    }
    ProviderClient client = providers.client(r.provider());
    // The shard's own work file (its activity id is its own): a retry resumes there.
    WorkFile work = WorkFile.of(store, "eval", ctx.getInfo());
    Progress progress = answer(ctx, client, r, s.from(), s.to(), s.to() - s.from(), work);
    if (progress.total() != s.to() - s.from()) {
      throw Failures.invalidInput(
          "The data "
              + r.data().name()
              + " ends before row "
              + s.to()
              + " of its "
              + r.data().rows());
    }
    ArtifactRef answers = store.write("eval-answers", "jsonl", out -> Files.copy(work.path, out));
    work.delete();
    return new ShardAnswers(s.from(), s.to(), answers);
  }

  @Override
  public EvalResult scoreShards(ScoreRequest request) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    EvalRequest r = request.eval();
    List<ShardAnswers> shards = new ArrayList<>(request.shards());
    shards.sort(Comparator.comparingInt(ShardAnswers::from));
    int next = 0;
    List<Path> files = new ArrayList<>(shards.size());
    for (ShardAnswers shard : shards) {
      if (shard.from() != next) {
        throw Failures.invalidInput(
            "The shards' answers do not cover rows [" + next + ", " + shard.from() + ")");
      }
      files.add(store.existing(shard.answers().path()));
      next = shard.to();
    }
    if (next != r.data().rows()) {
      throw Failures.invalidInput(
          "The shards' answers end at row " + next + " of " + r.data().rows());
    }
    ProviderClient client = providers.client(r.provider());
    return scoring.score(
        r,
        ctx.getInfo().getWorkflowId(),
        ctx.getInfo().getRunId(),
        files,
        client.config().price(r.model()).orElse(null),
        // Alive, nothing to resume: a retry scores again from the shards' answers.
        () -> ctx.heartbeat(null));
  }

  /**
   * Answers rows {@code [from, to)} of the data (to its end when it has fewer) into the work file,
   * in order, after the lines an earlier attempt vouched for; returns the progress at the end,
   * whose total is the number of rows answered.
   */
  private Progress answer(
      ActivityExecutionContext ctx,
      ProviderClient client,
      EvalRequest r,
      long from,
      long to,
      int expected,
      WorkFile work) {
    int done = work.resumeCount(lastHeartbeat(ctx));
    Progress progress = new Progress(expected, done, System.currentTimeMillis());
    Map<String, String> earlier = earlierAnswers(r, from, to);
    try (BufferedWriter out =
            Files.newBufferedWriter(
                work.path,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        JsonLines<Row> rows = EvalRows.read(store, r.data(), from + done, to)) {
      // A window of requests in flight across batch boundaries, so that the inference pool never
      // idles while the slowest answer of a batch comes; answers are written in row order and the
      // heartbeat vouches for every BATCH of them.
      CallScope calls = new CallScope();
      ArrayDeque<Future<ChatAnswer>> pending = new ArrayDeque<>();
      try {
        while (rows.hasNext() || !pending.isEmpty()) {
          while (pending.size() < window && rows.hasNext()) {
            pending.add(ask(client, r, rows.next(), earlier, calls));
          }
          ChatAnswer answer = Heartbeating.await(ctx, pending.peek(), progress.at(done));
          pending.remove();
          out.write(JSON.writeValueAsString(answer));
          out.newLine();
          done++;
          if (done % BATCH == 0 || (pending.isEmpty() && !rows.hasNext())) {
            out.flush();
            ctx.heartbeat(progress.at(done));
          }
        }
      } catch (RuntimeException | Error e) {
        pending.forEach(f -> f.cancel(true)); // the queued ones never start
        calls.cancel(); // the running ones are aborted at the socket
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Progress(done, progress.resumedFrom(), progress.startedAtMillis());
  }

  /**
   * The answers of an earlier eval's predictions (none when there is none) to the inputs of rows
   * {@code [from, to)}: only those are kept, so that memory follows the rows answered at once.
   */
  private Map<String, String> earlierAnswers(EvalRequest r, long from, long to) {
    ArtifactRef predictions = r.answersFrom();
    if (predictions == null) {
      return Map.of();
    }
    Set<String> inputs = new HashSet<>();
    try (JsonLines<Row> rows = EvalRows.read(store, r.data(), from, to)) {
      rows.forEachRemaining(
          row -> {
            if (row.context().isEmpty()) {
              inputs.add(row.input());
            }
          });
    }
    Map<String, String> answers = new HashMap<>();
    try (JsonLines<JsonNode> lines =
        JsonLines.of(List.of(store.existing(predictions.path())), EvalRows::tree)) {
      while (lines.hasNext()) {
        JsonNode p = lines.next();
        if (p.path("input").isTextual()
            && p.path("answer").isTextual()
            && inputs.contains(p.get("input").asText())) {
          answers.putIfAbsent(p.get("input").asText(), p.get("answer").asText());
        }
      }
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

  /**
   * One row's answer, asked of the provider through the inference pool (a chat row's context, its
   * system message and earlier turns, before its input), or the earlier eval's when it had one: not
   * paid for twice.
   */
  private Future<ChatAnswer> ask(
      ProviderClient client, EvalRequest r, Row row, Map<String, String> earlier, CallScope calls) {
    String known = row.context().isEmpty() ? earlier.get(row.input()) : null;
    if (known != null) {
      return CompletableFuture.completedFuture(new ChatAnswer(known, 0, 0, Double.NaN));
    }
    return inference.submit(
        () ->
            row.context().isEmpty()
                ? client.complete(r.model(), r.prompt(), row.input(), calls)
                : client.complete(r.model(), row.messages(r.prompt()), calls));
  }
}
