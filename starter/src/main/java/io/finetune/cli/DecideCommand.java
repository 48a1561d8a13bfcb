package io.finetune.cli;

import io.finetune.gateway.ApiTokens;
import io.finetune.workflows.pipeline.Action;
import io.finetune.workflows.pipeline.Decision;
import io.finetune.workflows.pipeline.DecisionProof;
import io.finetune.workflows.pipeline.DecisionRecord;
import io.grpc.Status;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** approve / reject: a validated Update, so a wrong checkpoint or a closed run is refused here. */
abstract class DecideCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Parameters(
      paramLabel = "ID",
      description = "Workflow id of the pipeline run (of the rollout, rollout-MODEL, for rollback)")
  String id;

  @Option(
      names = "--checkpoint",
      required = true,
      description = "data-review or promotion (a pipeline's), rollback (a rollout's)")
  String checkpoint;

  @Option(names = "--by", required = true, description = "Who decides (recorded)")
  String by;

  @Option(names = "--comment", description = "Why (recorded)")
  String comment;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description =
          "A file holding your approver token (default: $"
              + APPROVER_TOKEN_ENV
              + "), from `./finetune tokens create --approver NAME`: the decision then carries"
              + " its id and a proof made with it, never the token; runs whose spec sets"
              + " approval.requireToken refuse decisions without one")
  Path tokenFile;

  /** Where the approver token is read from when no --token-file is given. */
  static final String APPROVER_TOKEN_ENV = "FINETUNE_APPROVER_TOKEN";

  @Spec CommandSpec spec;

  abstract Action action();

  @Override
  public Integer call() {
    String token = approverToken(); // a bad one is named before anything is sent
    WorkflowClient client = temporal.connect();
    try {
      Runs.Run run = Runs.latestOrFail(client, id);
      if (!run.isOpen()) {
        throw notOpen(run);
      }
      Decision decision = signed(new Decision(checkpoint, action().id(), by, comment), token, run);
      DecisionRecord r = decide(client, run, decision);
      spec.commandLine()
          .getOut()
          .println(
              "Recorded: "
                  + r.action()
                  + " at "
                  + r.checkpoint()
                  + " by "
                  + r.by()
                  + (r.comment() == null ? "" : " (\"" + r.comment() + "\")")
                  + " on "
                  + id
                  + " ("
                  + run.which()
                  + "), "
                  + r.identity());
      return 0;
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  /**
   * The approver token from --token-file or $FINETUNE_APPROVER_TOKEN, or null when neither is set.
   * Never echoed: an error names where it came from, not what it holds.
   */
  String approverToken() {
    String token;
    String source;
    if (tokenFile != null) {
      source = "--token-file " + tokenFile;
      try {
        token = Files.readString(tokenFile).strip();
      } catch (NoSuchFileException e) {
        throw new UserError("No such token file: " + tokenFile);
      } catch (IOException e) {
        throw new UserError("Cannot read the token file " + tokenFile + ": " + e.getMessage());
      }
    } else {
      source = "$" + APPROVER_TOKEN_ENV;
      token = System.getenv(APPROVER_TOKEN_ENV);
      if (token == null || token.isBlank()) {
        return null;
      }
      token = token.strip();
    }
    if (ApiTokens.approverTokenId(token).isEmpty()) {
      throw new UserError(
          source
              + " does not hold an approver token (one starts with "
              + ApiTokens.APPROVER_PREFIX
              + "tok_ and is printed by `./finetune tokens create --approver NAME`; a gateway"
              + " token cannot approve)");
    }
    return token;
  }

  /**
   * {@code d} with the proof {@code token} makes for it on exactly {@code run}; {@code d} itself
   * when there is no token. Only the token's id and the proof leave this process.
   */
  static Decision signed(Decision d, String token, Runs.Run run) {
    if (token == null) {
      return d;
    }
    String tokenId = ApiTokens.approverTokenId(token).orElseThrow();
    return d.withProof(
        tokenId,
        DecisionProof.sign(DecisionProof.sha256Hex(token), run.workflowId(), run.runId(), d));
  }

  /** Decides on the latest run of {@code id}. */
  static DecisionRecord decide(WorkflowClient client, String id, Decision decision) {
    return decide(client, Runs.latestOrFail(client, id), decision);
  }

  /** Decides on exactly {@code run}, even if a newer run of its id has started since. */
  static DecisionRecord decide(WorkflowClient client, Runs.Run run, Decision decision) {
    // By name: a pipeline and a rollout (its rollback checkpoint) both take the Update "decide".
    WorkflowStub stub =
        client.newUntypedWorkflowStub(run.workflowId(), Optional.of(run.runId()), Optional.empty());
    try {
      return stub.update("decide", DecisionRecord.class, decision);
    } catch (WorkflowUpdateException e) {
      throw new UserError("Refused by " + run.workflowId() + ": " + TemporalOptions.rootMessage(e));
    } catch (RuntimeException e) {
      if (e instanceof WorkflowNotFoundException
          || TemporalOptions.isStatus(e, Status.Code.NOT_FOUND)) {
        throw notOpen(Runs.latestOrFail(client, run.workflowId()));
      }
      throw e;
    }
  }

  private static UserError notOpen(Runs.Run run) {
    return new UserError(
        "No open run with id '"
            + run.workflowId()
            + "': its "
            + run.which()
            + ", "
            + run.state()
            + " (see `./finetune status "
            + run.workflowId()
            + "`).");
  }

  @picocli.CommandLine.Command(
      mixinStandardHelpOptions = true,
      name = "approve",
      description =
          "Approves the open checkpoint (data-review or promotion; on a rollout, rollback:"
              + " roll back) of the latest run of an id.")
  static class Approve extends DecideCommand {
    @Override
    Action action() {
      return Action.APPROVE;
    }
  }

  @picocli.CommandLine.Command(
      mixinStandardHelpOptions = true,
      name = "reject",
      description =
          "Rejects the open checkpoint of the latest run of an id; the run ends without"
              + " training/promoting.")
  static class Reject extends DecideCommand {
    @Override
    Action action() {
      return Action.REJECT;
    }
  }
}
