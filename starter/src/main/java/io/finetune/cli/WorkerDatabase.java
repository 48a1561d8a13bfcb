package io.finetune.cli;

import io.finetune.gateway.Redactor;
import io.finetune.serve.GatewayApplication;
import io.finetune.worker.FinetuneProperties;
import io.finetune.worker.Redaction;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The worker's database (application.yaml's DataSource, migrated) and its redaction rules, opened
 * without Temporal for the commands that read or change it directly (tokens, traces, ingest,
 * rollback, audit); close it when done.
 */
final class WorkerDatabase implements AutoCloseable {
  private final ConfigurableApplicationContext context;

  WorkerDatabase(Path home) {
    Map<String, Object> props = new HashMap<>();
    if (home != null) {
      props.put("finetune.home", home.toAbsolutePath().toString());
    }
    props.put("logging.level.root", "ERROR");
    this.context = GatewayApplication.database(props);
  }

  <T> T bean(Class<T> type) {
    return context.getBean(type);
  }

  DataSource dataSource() {
    return context.getBean(DataSource.class);
  }

  /** The built-in patterns plus finetune.gateway.redaction's rules, as the gateway applies them. */
  Redactor redactor() {
    try {
      return Redaction.of(context.getBean(FinetuneProperties.class));
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage());
    }
  }

  @Override
  public void close() {
    context.close();
  }
}
