package io.finetune.cli;

import java.nio.file.Path;

/** The folder the worker keeps artifacts, registry and local-provider state in. */
final class Home {
  private Home() {}

  static Path defaultHome() {
    String env = System.getenv("FINETUNE_HOME");
    return env == null || env.isBlank()
        ? Path.of(System.getProperty("user.home"), ".finetune")
        : Path.of(env);
  }

  /** The repository root when run through ./finetune, else the working directory. */
  static Path repo() {
    String env = System.getenv("FINETUNE_REPO");
    return env == null || env.isBlank() ? Path.of("").toAbsolutePath() : Path.of(env);
  }
}
