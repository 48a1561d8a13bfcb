package io.finetune.cli;

import io.finetune.gateway.TraceIngest;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Traces and feedback recorded elsewhere, loaded into the worker's database. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = {
      "Loads traces and feedback exported from elsewhere (JSONL, one {\"type\": \"trace\", ...} or"
          + " {\"type\": \"feedback\", ...} a line; fields in README) under the gateway's rules:"
          + " traces of promoted models, redacted before they are stored, feedback validated as"
          + " POST /v1/feedback validates it.",
      "The whole file is checked before anything is written, then written in one transaction: a"
          + " bad line stores nothing. A trace or event id already stored with the same content"
          + " is skipped and counted; with other content it is an error."
    })
class IngestCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "The JSONL file of traces and feedback")
  Path file;

  @Mixin WorkerHome home;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    TraceIngest.Result r;
    try (WorkerDatabase db = home.open()) {
      r = new TraceIngest(db.dataSource(), db.redactor()).ingest(file);
    } catch (TraceIngest.Invalid e) {
      throw new UserError(e.getMessage());
    }
    spec.commandLine()
        .getOut()
        .println(
            "Ingested "
                + file
                + ": "
                + r.traces()
                + " traces and "
                + r.feedback()
                + " feedback events stored; "
                + r.tracesSkipped()
                + " traces and "
                + r.feedbackSkipped()
                + " events were already there (skipped).");
    return 0;
  }
}
