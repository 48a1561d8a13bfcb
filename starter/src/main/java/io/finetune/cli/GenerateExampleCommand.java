package io.finetune.cli;

import io.finetune.cli.examples.TicketTriageGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "generate-example",
    description = "Regenerates the bundled ticket-triage data (seeded: same files every time).")
class GenerateExampleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", description = "Folder (default: examples/ticket-triage)")
  Path out;

  @Override
  public Integer call() throws IOException {
    Path dir = out != null ? out : Home.repo().resolve("examples/ticket-triage");
    TicketTriageGenerator.generate(dir);
    spec.commandLine()
        .getOut()
        .println(
            "Wrote train.jsonl, corner-cases.jsonl, production-2024.jsonl, judge-alignment.jsonl to "
                + dir);
    return 0;
  }
}
