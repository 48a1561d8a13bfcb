package io.finetune.workflows.rollout;

import io.finetune.workflows.common.ActivityStubs;
import io.finetune.workflows.pipeline.Checkpoint;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionLog;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.finetune.workflows.pipeline.DecisionRules;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.Stage;
import io.finetune.workflows.rollout.RolloutActivities.CanaryRequest;
import io.finetune.workflows.rollout.RolloutActivities.CompleteRequest;
import io.finetune.workflows.rollout.RolloutActivities.Completion;
import io.finetune.workflows.rollout.RolloutActivities.Deployment;
import io.finetune.workflows.rollout.RolloutActivities.OnlineJudgeRequest;
import io.finetune.workflows.rollout.RolloutActivities.OnlineJudgment;
import io.finetune.workflows.rollout.RolloutActivities.SlowEval;
import io.finetune.workflows.rollout.RolloutActivities.SlowEvalRequest;
import io.finetune.workflows.rollout.RolloutActivities.Verdict;
import io.finetune.workflows.rollout.RolloutStatus.Phase;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInit;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;

/**
 * Canary, window, slow eval, then roll out or back: {@link Rollout}. A canary with too few outcomes
 * after its window gets another window, up to {@link #MAX_WINDOWS}; still too few is treated as
 * worse, since no evidence is not evidence of no harm.
 */
public class RolloutImpl implements Rollout {
  private static final Logger log = Workflow.getLogger(RolloutImpl.class);

  /** How many windows a canary may run while it has too few outcomes to judge. */
  static final int MAX_WINDOWS = 3;

  private static final String SLOW_EVAL = "slow eval";

  private final RolloutActivities deploy = ActivityStubs.rollout();
  private final RolloutActivities onlineJudge = ActivityStubs.rolloutJudge();
  private final RolloutInput input;
  private final DecisionLog decisions;

  private Phase phase = Phase.CANARY;
  private long canaryFrom;
  private long windowEnds;
  private int window;
  private SlowEval slowEval;
  private Checkpoint open;
  private RollbackRequest rollbackRequested;
  private RolloutResult result;

  @WorkflowInit
  public RolloutImpl(RolloutInput input) {
    this.input = input;
    this.decisions = new DecisionLog(input.requireToken());
  }

  @Override
  public RolloutResult run(RolloutInput in) {
    PipelineSpec.RolloutPolicy policy = in.policy();
    try {
      Deployment started =
          deploy.startCanary(
              new CanaryRequest(
                  key("canary"),
                  in.name(),
                  in.candidate(),
                  in.stable(),
                  policy.canaryShare(),
                  in.approvedBy(),
                  in.approvedIdentity()));
      // The gateway routes to the canary from the moment the activity wrote it, which may be a
      // little before this workflow task: its first traces belong to the window.
      canaryFrom = Math.min(Workflow.currentTimeMillis(), started.updatedAtMillis());
      for (window = 1; ; window++) {
        windowEnds = Workflow.currentTimeMillis() + policy.windowSeconds() * 1000;
        show();
        Workflow.await(Duration.ofSeconds(policy.windowSeconds()), () -> rollbackRequested != null);
        if (rollbackRequested != null) {
          return end(false, rollbackRequested.by(), requestedRollback());
        }
        phase = Phase.SLOW_EVAL;
        show();
        slowEval = evaluate(policy);
        if (slowEval.verdict() != Verdict.TOO_FEW || window == MAX_WINDOWS) {
          break;
        }
        log.info("Canary of {}: {}; another window", in.name(), slowEval.reason());
        phase = Phase.CANARY;
      }
      if (rollbackRequested != null) {
        return end(false, rollbackRequested.by(), requestedRollback());
      }
      boolean worse = slowEval.verdict() == Verdict.WORSE || slowEval.verdict() == Verdict.TOO_FEW;
      if (!worse) {
        return end(true, SLOW_EVAL, "the slow eval found it " + words(slowEval));
      }
      if (!policy.asksPerson()) {
        return end(false, SLOW_EVAL, "the slow eval found it " + words(slowEval));
      }
      return askPerson();
    } catch (CanceledFailure e) {
      // Cancelled mid-canary (e.g. with its pipeline): the stable version takes all traffic back
      // before the rollout closes, so no canary is left serving without a workflow watching it.
      Workflow.newDetachedCancellationScope(() -> end(false, "cancel", "the rollout was cancelled"))
          .run();
      throw e;
    }
  }

  /** Rule 9's checkpoint: a person confirms the rollback (approve) or rolls out anyway (reject). */
  private RolloutResult askPerson() {
    open = Checkpoint.ROLLBACK;
    phase = Phase.ROLLBACK_REVIEW;
    show();
    Workflow.await(() -> decisions.has(Checkpoint.ROLLBACK) || rollbackRequested != null);
    open = null;
    if (rollbackRequested != null && !decisions.has(Checkpoint.ROLLBACK)) {
      return end(false, rollbackRequested.by(), requestedRollback());
    }
    DecisionRecord d = decisions.get(Checkpoint.ROLLBACK);
    String why =
        "the slow eval found it "
            + words(slowEval)
            + "; "
            + d.by()
            + ", "
            + d.identity()
            + ","
            + (d.approved() ? " confirmed the rollback" : " rolled it out anyway")
            + (d.comment() == null ? "" : " (\"" + d.comment() + "\")");
    return end(!d.approved(), d.by(), why);
  }

  private SlowEval evaluate(PipelineSpec.RolloutPolicy policy) {
    long until = Workflow.currentTimeMillis();
    OnlineJudgment judgment = null;
    if (input.judge() != null && policy.judgeShare() > 0) {
      judgment =
          onlineJudge.judgeCanary(
              new OnlineJudgeRequest(
                  key("judge-" + window),
                  input.name(),
                  input.candidate(),
                  input.stable(),
                  canaryFrom,
                  until,
                  policy.judgeShare(),
                  input.judgeProvider(),
                  input.judge().model(),
                  input.judge().rubric(),
                  input.judge().maxPairs(),
                  Workflow.newRandom().nextLong()));
    }
    return deploy.slowEval(
        new SlowEvalRequest(
            key("slow-eval-" + window),
            input.name(),
            input.candidate(),
            input.stable(),
            canaryFrom,
            until,
            policy.minEvents(),
            policy.maxPValue(),
            judgment));
  }

  /** Rolls out ({@code rollOut}) or back, and records how the rollout ended. */
  private RolloutResult end(boolean rollOut, String actor, String reason) {
    Completion c =
        deploy.complete(
            new CompleteRequest(
                key("complete"),
                input.name(),
                input.candidate(),
                input.stable(),
                rollOut,
                actor,
                reason,
                slowEval));
    boolean rolledOut = rollOut && c.applied();
    result =
        new RolloutResult(
            input.name(),
            input.candidate(),
            input.stable(),
            rolledOut ? RolloutOutcome.ROLLED_OUT : RolloutOutcome.ROLLED_BACK,
            c.serving(),
            c.applied() ? reason : c.detail(),
            actor,
            slowEval);
    phase = Phase.DONE;
    show();
    Workflow.await(Workflow::isEveryHandlerFinished);
    return result;
  }

  private String requestedRollback() {
    return "rolled back by "
        + rollbackRequested.by()
        + (rollbackRequested.reason() == null ? "" : ": " + rollbackRequested.reason());
  }

  /** Where the rollout is, as the Web UI's "current details" show it. */
  private void show() {
    RolloutStatus s = status();
    StringBuilder md =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "**%s** v%d against v%d: `%s`",
                s.name(),
                s.candidate(),
                s.stable(),
                s.phase()));
    if (s.phase() == Phase.CANARY) {
      md.append(
          String.format(
              Locale.ROOT,
              ", the canary serves %.0f%% of the traffic; window %d ends %s",
              100 * s.canaryShare(),
              s.window(),
              Instant.ofEpochMilli(s.windowEndsMillis())));
    }
    md.append("\n\n");
    if (s.slowEval() != null) {
      md.append("Slow eval: ").append(words(s.slowEval())).append("\n\n");
    }
    if (s.pendingCheckpoint() != null) {
      md.append("Decide with `./finetune approve ")
          .append(Workflow.getInfo().getWorkflowId())
          .append(" --checkpoint rollback --by <you>` (rolls back) or `reject` (rolls out anyway)")
          .append("\n\n");
    }
    if (s.result() != null) {
      md.append("Outcome: **")
          .append(s.result().outcome())
          .append("**, v")
          .append(s.result().serving())
          .append(" serves all traffic: ")
          .append(s.result().reason());
    } else {
      md.append("End the canary now with `./finetune rollback ")
          .append(s.name())
          .append(" --by <you>`");
    }
    Workflow.setCurrentDetails(md.toString());
  }

  /** "worse (...)" in the slow eval's words. */
  private static String words(SlowEval e) {
    return e.verdict().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + e.reason();
  }

  /** An idempotency key for {@code step} of this execution: a rerun of the id is a new one. */
  private static String key(String step) {
    return Workflow.getInfo().getWorkflowId() + "/" + Workflow.getInfo().getRunId() + "/" + step;
  }

  // ---- signals, updates, query --------------------------------------------------------------

  @Override
  public void validateDecide(Decision decision) {
    decisions.validate(decision, runState());
  }

  @Override
  public DecisionRecord decide(Decision decision) {
    return decisions.update(decision, input.approvers(), () -> validateDecide(decision));
  }

  @Override
  public void decision(Decision decision) {
    decisions.signal(decision, this::runState);
  }

  @Override
  public void rollback(RollbackRequest request) {
    if (rollbackRequested == null && result == null) {
      rollbackRequested =
          new RollbackRequest(
              request == null || request.by() == null || request.by().isBlank()
                  ? "unknown"
                  : request.by(),
              request == null ? null : request.reason());
    }
  }

  private DecisionRules.RunState runState() {
    Stage stage =
        switch (phase) {
          case CANARY, SLOW_EVAL -> Stage.ROLLING_OUT;
          case ROLLBACK_REVIEW -> Stage.ROLLBACK_REVIEW;
          case DONE -> Stage.DONE;
        };
    Outcome outcome =
        result == null
            ? null
            : result.outcome() == RolloutOutcome.ROLLED_OUT
                ? Outcome.PROMOTED
                : Outcome.ROLLED_BACK;
    return new DecisionRules.RunState(
        List.of(Checkpoint.ROLLBACK), stage, open, decisions.decided(), outcome, input.approvers());
  }

  @Override
  public RolloutStatus status() {
    return new RolloutStatus(
        input.name(),
        input.candidate(),
        input.stable(),
        phase,
        input.policy().canaryShare(),
        canaryFrom,
        windowEnds,
        window,
        slowEval,
        open,
        decisions.records(),
        result,
        decisions.refused());
  }
}
