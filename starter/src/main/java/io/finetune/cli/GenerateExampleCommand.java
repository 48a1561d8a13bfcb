package io.finetune.cli;

import io.finetune.cli.examples.BundledExamples;
import io.finetune.cli.examples.BundledExamples.Example;
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
    description =
        "Regenerates a bundled example's data (seeded: same files every time): ticket-triage,"
            + " call-logs or reply-drafts.")
class GenerateExampleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--example",
      description =
          "Which example (default: ${DEFAULT-VALUE}): ticket-triage, call-logs, reply-drafts",
      defaultValue = BundledExamples.DEFAULT)
  String example;

  @Option(names = "--out", description = "Folder (default: examples/<example>)")
  Path out;

  @Override
  public Integer call() throws IOException {
    Example e =
        BundledExamples.named(example)
            .orElseThrow(
                () ->
                    new UserError(
                        "no bundled example '"
                            + example
                            + "'; the examples are "
                            + String.join(", ", BundledExamples.names())));
    Path dir = out != null ? out : Home.repo().resolve("examples").resolve(e.name());
    e.generator().generate(dir);
    spec.commandLine().getOut().println("Wrote " + String.join(", ", e.files()) + " to " + dir);
    return 0;
  }
}
