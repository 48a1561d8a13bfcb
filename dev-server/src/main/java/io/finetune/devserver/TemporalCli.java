package io.finetune.devserver;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the Temporal CLI (the {@code temporal} binary, whose {@code server start-dev} is the real
 * Temporal server for local use) is: {@code $FINETUNE_TEMPORAL_CLI}, else the project's own install
 * ({@code scripts/install-temporal-cli}), else the {@code PATH}.
 */
public final class TemporalCli {
  /** Names the binary to use, overriding every other place. */
  public static final String ENV = "FINETUNE_TEMPORAL_CLI";

  /** Where {@code scripts/install-temporal-cli} puts it, relative to the repository. */
  public static final String PROJECT_LOCAL = ".tools/temporal-cli/bin/temporal";

  /** How a user gets it, for messages. */
  public static final String HOW_TO_GET =
      "./scripts/install-temporal-cli (or `brew install temporal`, or Temporal's own installer)";

  private TemporalCli() {}

  /** The binary, if there is one; an {@code ENV} that names no executable is an error. */
  public static Optional<Path> find(Path repo) {
    String override = System.getenv(ENV);
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
        throw new IllegalStateException(
            ENV
                + "="
                + override
                + " is not an executable file; unset it or point it at `temporal`");
      }
      return Optional.of(p);
    }
    Path local = repo.resolve(PROJECT_LOCAL);
    if (Files.isExecutable(local)) {
      return Optional.of(local);
    }
    String path = System.getenv("PATH");
    for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
      if (!dir.isBlank()) {
        Path candidate = Path.of(dir, "temporal");
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }
}
