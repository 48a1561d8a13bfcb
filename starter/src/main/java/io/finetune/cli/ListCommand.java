package io.finetune.cli;

import io.grpc.Status;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc.WorkflowServiceBlockingStub;
import io.temporal.client.WorkflowClient;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "list",
    description = "Lists recent runs (pipelines, candidates, drift checks).")
class ListCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec spec;

  @Option(names = "--limit", description = "At most this many (default: ${DEFAULT-VALUE})")
  int limit = 50;

  @Option(
      names = "--query",
      description =
          "A visibility query, passed through (real servers only), e.g. 'FinetuneModel="
              + "\"ticket-triage\" AND FinetuneStage=\"PROMOTION_REVIEW\"'")
  String query;

  @Override
  public Integer call() {
    WorkflowClient client = temporal.connect();
    try {
      return list(client, spec.commandLine().getOut());
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  private int list(WorkflowClient client, PrintWriter out) {
    WorkflowServiceBlockingStub stub = client.getWorkflowServiceStubs().blockingStub();
    String ns = client.getOptions().getNamespace();
    List<WorkflowExecutionInfo> runs = new ArrayList<>();
    try {
      runs.addAll(
          stub.listWorkflowExecutions(
                  ListWorkflowExecutionsRequest.newBuilder()
                      .setNamespace(ns)
                      .setPageSize(limit)
                      .setQuery(query == null ? "" : query)
                      .build())
              .getExecutionsList());
    } catch (RuntimeException e) {
      if (query != null && TemporalOptions.isStatus(e, Status.Code.INVALID_ARGUMENT)) {
        throw new UserError("The server refused the query: " + TemporalOptions.rootMessage(e));
      }
      if (!TemporalOptions.isStatus(e, Status.Code.UNIMPLEMENTED)) {
        throw e;
      }
      if (query != null) {
        throw new UserError(
            "--query needs a real Temporal server (the embedded dev server has no visibility"
                + " queries): install the Temporal CLI (./scripts/install-temporal-cli) and run"
                + " `./finetune dev` again, or drop --query.");
      }
      // The embedded dev server has no query-based visibility; the older list calls work.
      runs.addAll(
          stub.listOpenWorkflowExecutions(
                  ListOpenWorkflowExecutionsRequest.newBuilder()
                      .setNamespace(ns)
                      .setMaximumPageSize(limit)
                      .build())
              .getExecutionsList());
      runs.addAll(
          stub.listClosedWorkflowExecutions(
                  ListClosedWorkflowExecutionsRequest.newBuilder()
                      .setNamespace(ns)
                      .setMaximumPageSize(limit)
                      .build())
              .getExecutionsList());
    }
    runs.sort(
        Comparator.comparingLong((WorkflowExecutionInfo i) -> i.getStartTime().getSeconds())
            .reversed());
    if (runs.isEmpty()) {
      out.println(
          query != null
              ? "No run matches " + query
              : "No runs yet. Start one with ./finetune start SPEC");
      return 0;
    }
    out.printf("%-52s %-18s %-11s %s%n", "ID", "TYPE", "STATUS", "STARTED");
    for (WorkflowExecutionInfo i : runs.subList(0, Math.min(limit, runs.size()))) {
      out.printf(
          "%-52s %-18s %-11s %s%n",
          i.getExecution().getWorkflowId(),
          i.getType().getName(),
          Printer.statusName(i.getStatus()),
          Instant.ofEpochSecond(i.getStartTime().getSeconds()));
    }
    return 0;
  }
}
