package io.finetune.workflows.eval;

import io.finetune.workflows.eval.EvalActivities.EvalRequest;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.finetune.workflows.eval.EvalActivities.ScoreRequest;
import io.finetune.workflows.eval.EvalActivities.ShardAnswers;
import io.finetune.workflows.eval.EvalActivities.ShardRequest;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;

/**
 * How workflows run an eval (workflow code). A test set of at most {@link #SHARD_ROWS} rows is one
 * {@link EvalActivities#evaluate} activity, as it always was. A larger one, in runs from version 1
 * of {@value #CHANGE_ID}, is answered in shards of consecutive rows, one {@link
 * EvalActivities#answerShard} activity each, all at once, so that every worker polling the task
 * queue takes a share; then one {@link EvalActivities#scoreShards} activity merges their answers in
 * row order and scores them as {@code evaluate} would. History grows with the shards (at most
 * {@link #MAX_SHARDS}), not with the rows.
 *
 * <p>One shard failing for good cancels the others (nobody would read their answers, and each row
 * costs); cancelling the workflow cancels them all, as it cancels a single eval.
 */
public final class Evals {
  /** The change that shards large evals; runs started before it keep one activity per eval. */
  public static final String CHANGE_ID = "sharded-evals";

  /**
   * The most rows one shard answers while there are fewer than {@link #MAX_SHARDS} shards: small
   * enough for two workers to split a 10,000-row eval evenly (ten shards), large enough that a
   * shard's few activity events are nothing against its rows.
   */
  public static final int SHARD_ROWS = 1000;

  /**
   * The most shards of one eval: larger sets get larger shards, so that an eval's history stays
   * under about 250 events whatever its size.
   */
  public static final int MAX_SHARDS = 40;

  private final EvalActivities eval;
  private final int shardRows;

  /**
   * @param eval the eval activities' stub ({@code ActivityStubs.eval()})
   */
  public Evals(EvalActivities eval) {
    this(eval, SHARD_ROWS);
  }

  /**
   * With shards of {@code shardRows} rows instead of {@link #SHARD_ROWS} (tests and benchmarks;
   * workflows keep the constant, which their histories depend on).
   */
  public Evals(EvalActivities eval, int shardRows) {
    if (shardRows < 1) {
      throw new IllegalArgumentException("shards need at least one row, not " + shardRows);
    }
    this.eval = eval;
    this.shardRows = shardRows;
  }

  /** Evaluates as the request says, in shards when its data is large; blocks until scored. */
  public EvalResult evaluate(EvalRequest r) {
    return sharded(r) ? evaluateInShards(r) : eval.evaluate(r);
  }

  /** The same, started now, for evals that run side by side. */
  public Promise<EvalResult> evaluateAsync(EvalRequest r) {
    return sharded(r)
        ? Async.function(this::evaluateInShards, r)
        : Async.function(eval::evaluate, r);
  }

  /**
   * Whether the request's data is answered in shards. Asks for the version only when it matters, so
   * that small evals leave no marker in history.
   */
  private boolean sharded(EvalRequest r) {
    return r.data() != null
        && r.data().rows() > shardRows
        && Workflow.getVersion(CHANGE_ID, Workflow.DEFAULT_VERSION, 1) >= 1;
  }

  /** The shards of a request: consecutive row ranges that cover its data, in row order. */
  public static List<ShardRequest> shards(EvalRequest r) {
    return shards(r, SHARD_ROWS);
  }

  /** The same, with shards of {@code shardRows} while there are fewer than {@link #MAX_SHARDS}. */
  public static List<ShardRequest> shards(EvalRequest r, int shardRows) {
    int rows = r.data().rows();
    int size = shardRows(rows, shardRows);
    List<ShardRequest> out = new ArrayList<>();
    for (int from = 0; from < rows; from += size) {
      out.add(new ShardRequest(r, from, Math.min(rows, from + size)));
    }
    return out;
  }

  /**
   * Rows per shard for a set of {@code rows}: {@link #SHARD_ROWS}, more past {@link #MAX_SHARDS}.
   */
  public static int shardRows(int rows) {
    return shardRows(rows, SHARD_ROWS);
  }

  private static int shardRows(int rows, int shardRows) {
    return Math.max(shardRows, (rows + MAX_SHARDS - 1) / MAX_SHARDS);
  }

  private EvalResult evaluateInShards(EvalRequest r) {
    List<Promise<ShardAnswers>> running = new ArrayList<>();
    CancellationScope shards =
        Workflow.newCancellationScope(
            () -> {
              for (ShardRequest s : shards(r, shardRows)) {
                running.add(Async.function(eval::answerShard, s));
              }
            });
    shards.run();
    try {
      Promise.allOf(running).get();
    } catch (RuntimeException e) {
      shards.cancel(); // the shards still running: their answers would not be read
      throw e;
    }
    List<ShardAnswers> answers = new ArrayList<>(running.size());
    running.forEach(p -> answers.add(p.get()));
    return eval.scoreShards(new ScoreRequest(r, answers));
  }
}
