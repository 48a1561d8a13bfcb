package io.finetune.cli;

import io.finetune.worker.dev.DevEnvironment;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.envconfig.ClientConfigTLS;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "worker",
    description =
        "Runs the worker (workflows + activities, Spring Boot) against an existing Temporal"
            + " server; settings come from application.yaml and the environment.")
class WorkerCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec spec;

  /**
   * The CLI's connection (address, namespace, API key, TLS) as the Temporal Spring Boot starter's
   * properties, so that the worker reaches the same server the same way.
   */
  static Map<String, Object> connectionProperties(ClientConfigProfile p) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("spring.temporal.connection.target", p.getAddress());
    props.put("spring.temporal.namespace", p.getNamespace());
    boolean tls = false;
    if (p.getApiKey() != null && !p.getApiKey().isEmpty()) {
      props.put("spring.temporal.connection.api-key", p.getApiKey());
      tls = true;
    }
    ClientConfigTLS t = p.getTls();
    if (t != null && !Boolean.TRUE.equals(t.isDisabled())) {
      tls = true;
      if (t.getClientCertPath() != null) {
        props.put("spring.temporal.connection.mtls.cert-chain-file", t.getClientCertPath());
      }
      if (t.getClientKeyPath() != null) {
        props.put("spring.temporal.connection.mtls.key-file", t.getClientKeyPath());
      }
      if (t.getServerName() != null) {
        props.put("spring.temporal.connection.mtls.server-name", t.getServerName());
      }
    }
    if (tls) {
      props.put("spring.temporal.connection.enable-https", "true");
    }
    return props;
  }

  @Override
  public Integer call() throws InterruptedException {
    // Fail fast and clearly when nothing answers, before Spring starts.
    temporal.connect().getWorkflowServiceStubs().shutdown();
    Map<String, Object> props = connectionProperties(temporal.profile());
    props.put("spring.main.log-startup-info", "false");
    ConfigurableApplicationContext worker = DevEnvironment.startWorker(props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  worker.close();
                  stopped.countDown();
                }));
    spec.commandLine()
        .getOut()
        .println(
            "Worker polling task queue fine-tune on "
                + temporal.address()
                + " (namespace "
                + temporal.namespace()
                + "). Press Ctrl-C to stop.");
    stopped.await();
    return 0;
  }
}
