package io.finetune.cli.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TicketTriageGeneratorTest {
  @TempDir Path dir;

  @Test
  void theCommittedExampleIsExactlyWhatTheSeededGeneratorMakes() throws IOException {
    TicketTriageGenerator.generate(dir);
    for (String f :
        new String[] {
          "train.jsonl", "corner-cases.jsonl", "production-2024.jsonl", "judge-alignment.jsonl"
        }) {
      assertEquals(
          Files.readString(Path.of("../examples/ticket-triage").resolve(f)),
          Files.readString(dir.resolve(f)),
          f + " differs: run ./finetune generate-example and commit the result");
    }
    assertEquals(3000, Files.readAllLines(dir.resolve("train.jsonl")).size());
  }
}
