package io.finetune.cli.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The examples under {@code examples/} whose files a seeded generator writes. */
public final class BundledExamples {
  private BundledExamples() {}

  /** Writes an example's files into a folder. */
  @FunctionalInterface
  public interface Generator {
    void generate(Path dir) throws IOException;
  }

  /** An example: its folder name, what it shows, the files its generator writes. */
  public record Example(String name, String shows, List<String> files, Generator generator) {}

  public static final String DEFAULT = "ticket-triage";

  public static final List<Example> ALL =
      List.of(
          new Example(
              DEFAULT,
              "support tickets -> {category, priority}; a 2024 batch with new vocabulary and"
                  + " another label mix",
              // Its spec.yaml is written by hand.
              List.of(
                  "train.jsonl",
                  "corner-cases.jsonl",
                  "production-2024.jsonl",
                  "judge-alignment.jsonl"),
              TicketTriageGenerator::generate),
          new Example(
              CallLogGenerator.NAME,
              "call logs -> {caller, callback_date, reason}; a 2024 batch the 2023 model dates"
                  + " 2023",
              CallLogGenerator.FILES,
              CallLogGenerator::generate),
          new Example(
              ReplyDraftGenerator.NAME,
              "customer e-mails -> a reply draft (free text, chrF and the judge); no drift batch",
              ReplyDraftGenerator.FILES,
              ReplyDraftGenerator::generate));

  public static Optional<Example> named(String name) {
    return ALL.stream().filter(e -> e.name().equals(name)).findFirst();
  }

  public static List<String> names() {
    return ALL.stream().map(Example::name).toList();
  }
}
