package io.finetune.worker.dev;

import io.finetune.worker.WorkerApplication;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Everything on one machine with nothing installed: the loopback Temporal dev server, then the
 * worker (with the embedded local provider) connected to it.
 */
public final class DevEnvironment implements AutoCloseable {
  private final LoopbackTemporalServer server;
  private final ConfigurableApplicationContext worker;

  private DevEnvironment(LoopbackTemporalServer server, ConfigurableApplicationContext worker) {
    this.server = server;
    this.worker = worker;
  }

  /** Starts the server on {@code port} (0 = any free one) and a worker keeping state in home. */
  public static DevEnvironment start(int port, Path home) {
    LoopbackTemporalServer server = LoopbackTemporalServer.start(port);
    try {
      Map<String, Object> props = new LinkedHashMap<>();
      props.put("spring.temporal.connection.target", server.target());
      props.put("spring.temporal.namespace", "default");
      props.put("finetune.home", home.toAbsolutePath().toString());
      props.put("spring.main.log-startup-info", "false");
      return new DevEnvironment(server, startWorker(props));
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** Starts the Spring Boot worker with {@code overrides} on top of application.yaml. */
  public static ConfigurableApplicationContext startWorker(Map<String, Object> overrides) {
    SpringApplication app = new SpringApplication(WorkerApplication.class);
    String[] args =
        overrides.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    return app.run(args);
  }

  public String target() {
    return server.target();
  }

  @Override
  public void close() {
    worker.close();
    server.close();
  }
}
