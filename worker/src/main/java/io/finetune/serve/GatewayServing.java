package io.finetune.serve;

import io.finetune.activities.provider.Providers;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.gateway.ApiTokens;
import io.finetune.gateway.FeedbackStore;
import io.finetune.gateway.GatewayServer;
import io.finetune.gateway.Redactor;
import io.finetune.gateway.TraceWriter;
import io.finetune.worker.ActivitiesConfiguration;
import io.finetune.worker.FinetuneProperties;
import io.finetune.worker.Redaction;
import java.io.IOException;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The worker's providers (the local provider too, as configured) and the gateway on them. */
@Configuration(proxyBeanMethods = false)
@Import(ActivitiesConfiguration.class)
class GatewayServing {
  private static final Logger log = LoggerFactory.getLogger(GatewayServing.class);

  @Bean
  Redactor redactor(FinetuneProperties props) {
    Redactor redactor;
    try {
      redactor = Redaction.of(props);
    } catch (IllegalArgumentException e) {
      throw new GatewayApplication.StartFailure(e.getMessage(), e);
    }
    List<String> rules = redactor.ruleNames();
    if (!rules.isEmpty()) {
      log.info("Redaction rules besides e-mail, phone and card: {}", redactor.ruleNames());
    }
    return redactor;
  }

  /** Closed by the gateway, after its last request. */
  @Bean(destroyMethod = "")
  TraceWriter traceWriter(DataSource dataSource, Redactor redactor, FinetuneProperties props) {
    int queue = props.getGateway().getQueueSize();
    if (queue < 1) {
      throw new GatewayApplication.StartFailure(
          "finetune.gateway.queue-size is " + queue + "; it must be at least 1", null);
    }
    return new TraceWriter(dataSource, redactor, queue, Math.min(100, queue));
  }

  @Bean
  FeedbackStore feedbackStore(DataSource dataSource, TraceWriter traces, Redactor redactor) {
    return new FeedbackStore(dataSource, traces, redactor);
  }

  @Bean(destroyMethod = "close")
  GatewayServer gatewayServer(
      FinetuneProperties props,
      @Value("${" + GatewayApplication.ALLOW_REMOTE + ":false}") boolean allowRemote,
      RegistryActivitiesImpl registry,
      Providers providers,
      ApiTokens tokens,
      TraceWriter traces,
      FeedbackStore feedback) {
    FinetuneProperties.Gateway g = props.getGateway();
    // The trace writer's thread is running: it is stopped on every way out but a started gateway.
    if (g.getThreads() < 1) {
      traces.close();
      throw new GatewayApplication.StartFailure(
          "finetune.gateway.threads is " + g.getThreads() + "; it must be at least 1", null);
    }
    if (!allowRemote && !GatewayApplication.isLoopback(g.getHost())) {
      traces.close();
      throw new GatewayApplication.RemoteNotAllowed(GatewayApplication.remoteRefusal(g.getHost()));
    }
    try {
      return GatewayServer.start(
          new GatewayServer.Options(g.getHost(), g.getPort(), g.getThreads(), 10 * 1024 * 1024),
          registry,
          providers,
          tokens,
          traces,
          feedback);
    } catch (IOException e) {
      traces.close();
      throw new GatewayApplication.StartFailure(
          "Cannot listen on "
              + g.getHost()
              + ":"
              + g.getPort()
              + " ("
              + e.getMessage()
              + "): is another gateway running there? Pick another port with --port (or"
              + " finetune.gateway.port).",
          e);
    }
  }
}
