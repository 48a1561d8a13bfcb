package io.finetune.cli;

import io.finetune.serve.GatewayApplication;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The worker's database as application.yaml configures it (H2 under the home folder, or
 * PostgreSQL), opened without Temporal for the commands that read or change it directly: tokens,
 * rollback, audit.
 */
final class WorkerDatabase {
  private WorkerDatabase() {}

  /** Runs {@code action} on the database of the worker whose state is in {@code home}. */
  static <T> T with(Path home, Function<ConfigurableApplicationContext, T> action) {
    Map<String, Object> props = new HashMap<>();
    if (home != null) {
      props.put("finetune.home", home.toAbsolutePath().toString());
    }
    props.put("logging.level.root", "ERROR");
    try (ConfigurableApplicationContext db = GatewayApplication.database(props)) {
      return action.apply(db);
    }
  }
}
