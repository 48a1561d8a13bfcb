package io.finetune.cli;

import io.finetune.devserver.DevServer;
import io.finetune.devserver.LoopbackTemporalServer;
import io.finetune.devserver.TemporalCli;
import io.finetune.devserver.TemporalCliDevServer;
import io.finetune.provider.local.LocalProvider;
import io.finetune.worker.ActivitiesConfiguration.LocalProviderHandle;
import io.finetune.worker.WorkerApplication;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Everything on one machine: a Temporal server on 127.0.0.1 (the Temporal CLI's dev server when the
 * CLI is installed, else the embedded in-memory one), then, unless asked not to, the worker with
 * the embedded local provider connected to it.
 */
final class DevEnvironment implements AutoCloseable {
  /** Where {@code dev} says which server it runs, for the other commands' Web UI links. */
  static final String STATE_FILE = "dev-server.properties";

  private final DevServer server;
  private final ConfigurableApplicationContext worker;
  private final Path stateFile;

  private DevEnvironment(DevServer server, ConfigurableApplicationContext worker, Path stateFile) {
    this.server = server;
    this.worker = worker;
    this.stateFile = stateFile;
  }

  /**
   * Starts the server on {@code port} (0: any free one) keeping its state under {@code home}, and
   * the worker too when {@code withWorker}. {@code say} hears which server it is and, when the
   * embedded one stands in for a missing CLI, how to get the real one.
   */
  static DevEnvironment start(
      int port, Path home, boolean embedded, boolean withWorker, Consumer<String> say) {
    return start(port, home, embedded, withWorker, Map.of(), say);
  }

  /** As above, with {@code settings} on top of the worker's configuration. */
  static DevEnvironment start(
      int port,
      Path home,
      boolean embedded,
      boolean withWorker,
      Map<String, Object> settings,
      Consumer<String> say) {
    DevServer server = startServer(port, home, embedded, say);
    try {
      ConfigurableApplicationContext worker = null;
      if (withWorker) {
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("spring.temporal.connection.target", server.target());
        props.put("spring.temporal.namespace", "default");
        props.put("finetune.home", home.toAbsolutePath().toString());
        props.put("spring.main.log-startup-info", "false");
        props.putAll(settings);
        worker = WorkerApplication.start(props);
      }
      return new DevEnvironment(server, worker, writeState(home, server));
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private static DevServer startServer(
      int port, Path home, boolean embedded, Consumer<String> say) {
    Optional<Path> cli = embedded ? Optional.empty() : TemporalCli.find(Home.repo());
    if (cli.isPresent()) {
      return TemporalCliDevServer.start(
          cli.get(),
          port,
          port == 0 ? 0 : port + 1000,
          home.resolve("temporal"),
          FinetuneSearchAttributes.definitions());
    }
    if (!embedded) {
      say.accept(
          "No Temporal CLI found, so the embedded server runs instead (in memory, no Web UI, no"
              + " Schedules); for the real one: "
              + TemporalCli.HOW_TO_GET);
    }
    return LoopbackTemporalServer.start(port, FinetuneSearchAttributes.definitions());
  }

  private static Path writeState(Path home, DevServer server) {
    Properties p = new Properties();
    p.setProperty("target", server.target());
    server.webUi().ifPresent(ui -> p.setProperty("webUi", ui));
    Path file = home.resolve(STATE_FILE);
    try {
      Files.createDirectories(home);
      try (var out = Files.newBufferedWriter(file)) {
        p.store(out, "written by ./finetune dev while it runs");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** Faults the embedded local provider injected so far (with {@code chaos.rate} set). */
  long providerFaults() {
    LocalProvider provider =
        worker == null ? null : worker.getBean(LocalProviderHandle.class).provider();
    return provider == null ? 0 : provider.faultsInjectedTotal();
  }

  /** Fine-tuning jobs the embedded local provider created; -1 without one. */
  long providerJobsCreated() {
    LocalProvider provider =
        worker == null ? null : worker.getBean(LocalProviderHandle.class).provider();
    return provider == null ? -1 : provider.jobsCreated();
  }

  DevServer server() {
    return server;
  }

  String target() {
    return server.target();
  }

  @Override
  public void close() {
    if (worker != null) {
      worker.close();
    }
    server.close();
    try {
      Files.deleteIfExists(stateFile);
    } catch (IOException ignored) {
      // a stale file only costs a wrong Web UI link, and the next dev overwrites it
    }
  }
}
