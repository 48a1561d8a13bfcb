package io.finetune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.finetune.activities.dataset.Corrections;
import io.finetune.workflows.WorkflowTypes;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import io.finetune.workflows.pipeline.CorrectionRecord;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.pipeline.SuggestionRequest;
import io.finetune.workflows.pipeline.Suggestions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The data review's fixing half: export the flagged rows for editing (optionally with a stronger
 * model's suggestions), send the edited file back as corrections, and see what was applied.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "review",
    description = {
      "The data review of a run waiting at data-review: its report, the flagged rows, corrections.",
      "  review ID                                  the report, flagged rows, corrections so far",
      "  review ID --export flagged.jsonl [--suggest-with MODEL --by NAME]",
      "  review ID --corrections fixed.jsonl --by NAME [--comment ...]",
      "A corrections line: {\"row\": 17, \"action\": \"relabel\", \"output\": {...}, \"reason\": \"...\"};"
          + " actions: keep, relabel (with output), accept (takes the line's suggested), exclude."
          + " Each change needs a reason. The worker reads the file: run this on its machine."
    })
class ReviewCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin TemporalOptions temporal;

  @Parameters(paramLabel = "ID", description = "Workflow id of the pipeline run")
  String id;

  @ArgGroup(exclusive = true)
  What what;

  static class What {
    @Option(
        names = "--export",
        paramLabel = "FILE",
        description = "Write the flagged rows to FILE (JSONL) for editing; refuses to overwrite")
    Path export;

    @Option(
        names = "--corrections",
        paramLabel = "FILE",
        description = "Send FILE (edited export) back: a new version of the data, profiled again")
    Path corrections;
  }

  @Option(
      names = "--suggest-with",
      paramLabel = "MODEL",
      description =
          "With --export: a stronger model answers the flagged rows first; its answers are"
              + " written as 'suggested' (applied only where a line says accept)")
  String suggestWith;

  @Option(
      names = "--suggest-provider",
      paramLabel = "NAME",
      description = "The provider of --suggest-with (default: the prompt baseline's)")
  String suggestProvider;

  @Option(names = "--by", description = "Who sends the corrections or asks for suggestions")
  String by;

  @Option(names = "--comment", description = "Why (recorded with the corrections)")
  String comment;

  @Option(names = "--force", description = "With --export: overwrite FILE")
  boolean force;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Path export = what == null ? null : what.export;
    Path sent = what == null ? null : what.corrections;
    if (suggestWith != null && export == null) {
      throw new UserError("--suggest-with goes with --export FILE");
    }
    if ((sent != null || suggestWith != null) && (by == null || by.isBlank())) {
      throw new UserError("--by NAME is required: who sends them is recorded");
    }
    if (export != null && Files.exists(export) && !force) {
      throw new UserError(
          export + " exists: it may hold your edits; choose another file or add --force");
    }
    if (sent != null && !Files.isRegularFile(sent)) {
      throw new UserError(sent + ": no such file");
    }
    PrintWriter out = spec.commandLine().getOut();
    WorkflowClient client = temporal.connect();
    try {
      Runs.Run run = Runs.latestOrFail(client, id);
      if (!run.type().equals(WorkflowTypes.FINE_TUNE_PIPELINE)) {
        throw new UserError(id + " is a " + run.type() + ", not a pipeline run");
      }
      if (!run.isOpen()) {
        throw new UserError(
            id + "'s latest run is over (" + run.state() + "): see `./finetune status " + id + "`");
      }
      WorkflowStub stub =
          client.newUntypedWorkflowStub(id, Optional.of(run.runId()), Optional.empty());
      if (sent != null) {
        correct(stub, sent.toAbsolutePath().normalize(), out);
      } else if (export != null) {
        Suggestions suggestions = null;
        if (suggestWith != null) {
          out.println("asking " + suggestWith + " for suggestions on the flagged rows...");
          out.flush();
          suggestions =
              update(
                  stub,
                  "suggest",
                  Suggestions.class,
                  new SuggestionRequest(suggestWith, suggestProvider, by));
        }
        PipelineStatus s = status(client, run);
        export(s, suggestions, export, out);
      }
      show(status(client, run), out);
      return 0;
    } finally {
      client.getWorkflowServiceStubs().shutdown();
    }
  }

  private PipelineStatus status(WorkflowClient client, Runs.Run run) {
    return client.newWorkflowStub(FineTunePipeline.class, id, Optional.of(run.runId())).status();
  }

  private static <R> R update(WorkflowStub stub, String name, Class<R> type, Object arg) {
    try {
      return stub.update(name, type, arg);
    } catch (WorkflowUpdateException e) {
      throw new UserError("Refused by the run: " + TemporalOptions.rootMessage(e));
    }
  }

  private void correct(WorkflowStub stub, Path file, PrintWriter out) {
    CorrectionRecord r =
        update(
            stub,
            "correct",
            CorrectionRecord.class,
            new io.finetune.workflows.pipeline.Corrections(
                file.toString(), Corrections.sha256(file), by, comment));
    out.printf(
        Locale.ROOT,
        "Applied %s as data version %d: %d relabeled, %d excluded (by %s)%n"
            + "  data: %s (sha256 %s, %d rows)%n  lineage: %s%n",
        file,
        r.version(),
        r.relabeled(),
        r.excluded(),
        r.by(),
        r.data().path(),
        r.data().sha256().substring(0, 12),
        r.data().rows(),
        r.lineage().path());
  }

  /**
   * The flagged rows as a corrections file to edit: each line keeps its row (action keep), with its
   * input, current label, the baseline's answer, why it is flagged and any suggestion.
   */
  private void export(PipelineStatus s, Suggestions suggestions, Path file, PrintWriter out)
      throws IOException {
    DataReport report = s.dataReport();
    if (report == null || report.flagged() == null) {
      throw new UserError(
          id
              + " has no flagged rows to export"
              + (report == null
                  ? " yet (stage " + s.stage() + ")"
                  : " (a report from before them)"));
    }
    int lines = 0;
    try (BufferedReader flagged = open(report.flagged().path());
        BufferedReader answers =
            suggestions == null ? null : open(suggestions.predictions().path());
        BufferedWriter w =
            Files.newBufferedWriter(
                file,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      for (String line = flagged.readLine(); line != null; line = flagged.readLine()) {
        JsonNode row = JSON.readTree(line);
        ObjectNode e = JSON.createObjectNode();
        e.set("row", row.get("row"));
        e.set("flagged", row.get("reasons"));
        e.set("input", row.get("input"));
        if (row.has("context")) {
          e.set("context", row.get("context"));
        }
        e.set("output", row.has("output") ? row.get("output") : null);
        if (row.has("baseline")) {
          e.set("baseline", row.get("baseline"));
        }
        if (answers != null) {
          String answer = answers.readLine();
          if (answer != null) {
            e.set("suggested", suggestion(JSON.readTree(answer).path("answer").asText(), row));
          }
        }
        e.put("action", Corrections.KEEP);
        e.put("reason", "");
        w.write(JSON.writeValueAsString(e));
        w.newLine();
        lines++;
      }
    }
    out.println(
        "Wrote "
            + lines
            + " flagged row(s) to "
            + file
            + (suggestions == null
                ? ""
                : " with "
                    + suggestions.model()
                    + "'s suggestions (agreement with the labels: "
                    + agreement(suggestions)
                    + ")"));
    out.println(
        "  edit each line's action (keep, relabel with output, accept the suggestion, exclude) and"
            + " reason, then:");
    out.println("  ./finetune review " + id + " --corrections " + file + " --by <you>");
  }

  /**
   * A suggestion as the label it would be: text where the row's label is text (a text task), else
   * the answer's JSON object (its text as is when it is none: accepting it is then refused).
   */
  private static JsonNode suggestion(String answer, JsonNode row) {
    if (row.path("output").isTextual()) {
      return TextNode.valueOf(answer);
    }
    try {
      JsonNode parsed = JSON.readTree(answer);
      return parsed != null && parsed.isObject() ? parsed : TextNode.valueOf(answer);
    } catch (IOException notJson) {
      return TextNode.valueOf(answer);
    }
  }

  private static String agreement(Suggestions s) {
    Double exact =
        s.metrics().getOrDefault(Scores.EXACT_MATCH, s.metrics().get(Scores.TEXT_EXACT_MATCH));
    return exact == null ? "not measured" : String.format(Locale.ROOT, "%.0f%%", exact * 100);
  }

  private static BufferedReader open(String path) throws IOException {
    try {
      return Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UserError(
          path + ": not found here; the worker wrote it: run this on the worker's machine");
    }
  }

  private void show(PipelineStatus s, PrintWriter out) {
    out.println(
        id
            + ": stage "
            + s.stage()
            + (s.pendingCheckpoint() == null ? "" : ", waiting for: " + s.pendingCheckpoint()));
    if (s.dataReport() != null) {
      out.println("  data report: " + Printer.dataReportSummary(s.dataReport()));
      out.println("    " + s.dataReport().markdown().path());
      if (s.dataReport().flagged() != null) {
        out.println("  flagged rows: " + s.dataReport().flagged().rows());
      }
    }
    Printer.corrections(s, out);
  }
}
