package io.finetune.cli;

import java.nio.file.Path;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** The {@code --home} option of the commands that open the worker's database directly. */
class WorkerHome {
  @Option(
      names = "--home",
      description =
          "Worker state folder, holding the database (default: $FINETUNE_HOME or ~/.finetune)")
  Path home;

  /** The worker's database; close it when done. */
  WorkerDatabase open() {
    return new WorkerDatabase(home);
  }

  /** Runs {@code action} on the worker's database. */
  <T> T with(Function<WorkerDatabase, T> action) {
    try (WorkerDatabase db = open()) {
      return action.apply(db);
    }
  }
}
