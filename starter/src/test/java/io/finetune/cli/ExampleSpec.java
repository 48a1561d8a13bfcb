package io.finetune.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled example spec for tests that write it elsewhere. */
final class ExampleSpec {
  private ExampleSpec() {}

  /**
   * The example spec of the repository at {@code repo}, with every file it names (data, eval set,
   * judge alignment) made absolute, so that it can live anywhere.
   */
  static String withAbsolutePaths(Path repo) throws IOException {
    Path example = repo.resolve("examples/ticket-triage");
    return Files.readString(example.resolve("spec.yaml"))
        .replace("path: train.jsonl", "path: " + example.resolve("train.jsonl"))
        .replace("path: corner-cases.jsonl", "path: " + example.resolve("corner-cases.jsonl"))
        .replace(
            "alignment: judge-alignment.jsonl",
            "alignment: " + example.resolve("judge-alignment.jsonl"));
  }
}
