package io.finetune.cli;

import io.finetune.activities.registry.Deployments;
import io.finetune.activities.registry.Deployments.AuditEntry;
import io.finetune.workflows.rollout.RollbackRequest;
import io.finetune.workflows.rollout.Rollout;
import io.temporal.client.WorkflowClient;
import io.temporal.failure.ApplicationFailure;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Rule 9's way back, at any time: changes what serves in the worker's database at once (the gateway
 * routes by it from its next call), audited, so it works while Temporal is down; a rollout in
 * progress is then told, and would find its canary ended anyway.
 */
@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    description =
        "Serves the version before the current one of MODEL (or --to VERSION) at once, ending a"
            + " canary if one runs; recorded in the audit (`./finetune audit MODEL`).")
class RollbackCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Parameters(paramLabel = "MODEL", description = "The registry name, e.g. ticket-triage")
  String model;

  @Option(
      names = "--to",
      paramLabel = "VERSION",
      description =
          "The version to serve (default: during a canary, the version serving beside it;"
              + " otherwise the one before the current version)")
  Integer to;

  @Option(names = "--by", required = true, description = "Who rolls back (recorded)")
  String by;

  @Option(names = "--reason", description = "Why (recorded)")
  String reason;

  @Mixin WorkerHome home;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    AuditEntry done;
    try {
      done = home.with(db -> new Deployments(db.dataSource()).rollback(model, to, by, reason));
    } catch (ApplicationFailure refused) {
      throw new UserError(refused.getOriginalMessage());
    }
    out.println("Rolled back " + model + ": " + done.reason() + ".");
    out.println("  Recorded in the audit: ./finetune audit " + model);
    tellRollout(out);
    return 0;
  }

  /** Ends the model's rollout workflow, if one runs, with who and why. */
  private void tellRollout(PrintWriter out) {
    String id = Rollout.workflowId(model);
    WorkflowClient client;
    try {
      client = temporal.connect();
    } catch (UserError noServer) {
      out.println(
          "  Temporal does not answer, so a rollout in progress ("
              + id
              + ") was not told; it finds its canary ended and ends rolled back when it next"
              + " looks.");
      return;
    }
    try {
      Optional<Runs.Run> run = Runs.latest(client, id);
      if (run.isPresent() && run.get().isOpen()) {
        client
            .newWorkflowStub(Rollout.class, id, Optional.of(run.get().runId()))
            .rollback(new RollbackRequest(by, reason));
        out.println("  The rollout in progress (" + id + ") ends as rolled back.");
      }
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }
}
