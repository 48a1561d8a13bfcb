package io.finetune.worker;

import io.finetune.activities.approval.ApproverActivitiesImpl;
import io.finetune.activities.dataset.DatasetActivitiesImpl;
import io.finetune.activities.drift.DriftActivitiesImpl;
import io.finetune.activities.eval.EvalActivitiesImpl;
import io.finetune.activities.eval.JudgeActivitiesImpl;
import io.finetune.activities.notify.WebhookNotifier;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.ProviderMetrics;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.provider.RetryPolicy;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.activities.rollout.RolloutActivitiesImpl;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.activities.training.TrainingActivitiesImpl;
import io.finetune.gateway.Redactor;
import io.finetune.gateway.TraceDriftSource;
import io.finetune.provider.local.Chaos;
import io.finetune.provider.local.LocalProvider;
import io.finetune.provider.local.ServingLatency;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Builds the activity beans named in application.yaml's worker list. Activities are plain classes
 * (no Spring in the activities module); this is the one place that wires them.
 */
@Configuration
public class ActivitiesConfiguration {
  private static final Logger log = LoggerFactory.getLogger(ActivitiesConfiguration.class);

  @Bean
  ArtifactStore artifactStore(FinetuneProperties props) {
    return new ArtifactStore(props.getHome().resolve("artifacts"));
  }

  @Bean(destroyMethod = "close")
  LocalProviderHandle localProvider(FinetuneProperties props) throws IOException {
    if (!props.getLocalProvider().isEnabled()) {
      return new LocalProviderHandle(null, null);
    }
    FinetuneProperties.Chaos chaos = props.getLocalProvider().getChaos();
    String key = localProviderKey(props);
    return new LocalProviderHandle(
        LocalProvider.start(
            props.getLocalProvider().getPort(),
            props.getHome().resolve("local-provider"),
            new Chaos(
                chaos.getRate(),
                chaos.getSeed(),
                chaos.getAddedLatency() == null ? Duration.ZERO : chaos.getAddedLatency()),
            new ServingLatency(
                props.getLocalProvider().getLatency().getSmall(),
                props.getLocalProvider().getLatency().getMedium(),
                props.getLocalProvider().getLatency().getLarge()),
            props.getLocalProvider().getJudgePositionBias(),
            key),
        key);
  }

  /**
   * The key of {@code finetune.local-provider.api-key-env}, or null when none is configured.
   *
   * @throws IllegalStateException when a variable is named but not set
   */
  private static String localProviderKey(FinetuneProperties props) {
    String variable = props.getLocalProvider().getApiKeyEnv();
    if (variable == null || variable.isBlank()) {
      return null;
    }
    String key = System.getenv(variable.trim());
    if (key == null || key.isBlank()) {
      throw new IllegalStateException(
          "finetune.local-provider.api-key-env names the environment variable "
              + variable.trim()
              + ", which is not set: set it to the key the local provider should require, or"
              + " unset the setting");
    }
    return key.trim();
  }

  @Bean
  Providers providers(
      FinetuneProperties props,
      ObjectProvider<LocalProviderHandle> local,
      ObjectProvider<ProviderMetrics> metrics) {
    List<ProviderConfig> configs = new ArrayList<>();
    LocalProviderHandle handle = local.getObject();
    LocalProvider embedded = handle.provider();
    if (embedded != null) {
      configs.add(
          new ProviderConfig(
                  "local",
                  embedded.baseUrl(),
                  handle.apiKey() == null ? "" : handle.apiKey(),
                  200,
                  // On loopback an outage is injected, not a queue to drain: back off briefly.
                  new RetryPolicy(
                      RetryPolicy.DEFAULT.budget(), Duration.ofMillis(50), Duration.ofSeconds(1)))
              .withPrices(prices(props.getLocalProvider().getPrices())));
    }
    props
        .getProviders()
        .forEach(
            (name, p) -> {
              String key = p.getApiKeyEnv() == null ? "" : System.getenv(p.getApiKeyEnv());
              if (p.getApiKeyEnv() != null && (key == null || key.isEmpty())) {
                log.info(
                    "Provider '{}' has no key: environment variable {} is not set",
                    name,
                    p.getApiKeyEnv());
              }
              ProviderConfig config =
                  new ProviderConfig(
                      name,
                      p.getBaseUrl(),
                      key == null ? "" : key,
                      p.getPollMillis(),
                      new RetryPolicy(
                          p.getRetryBudget(),
                          RetryPolicy.DEFAULT.initialBackoff(),
                          RetryPolicy.DEFAULT.maxBackoff()),
                      p.getApi(),
                      new ProviderConfig.Limits(
                          p.getMaxConcurrency(), p.getRequestsPerMinute(), p.getTokensPerMinute()),
                      prices(p.getPrices()));
              if (!ProviderConfig.APIS.contains(config.api())) {
                // Refused at start-up rather than when the first job would be created.
                throw new IllegalArgumentException(
                    "finetune.providers."
                        + name
                        + ".api is '"
                        + p.getApi()
                        + "'; expected "
                        + ProviderConfig.OPENAI_API
                        + " (also any OpenAI-compatible server) or "
                        + ProviderConfig.TOGETHER_API);
              }
              configs.add(config);
            });
    log.info("Providers: {}", configs);
    return new Providers(configs, metrics.getIfAvailable(() -> ProviderMetrics.NONE));
  }

  private static List<ProviderConfig.Price> prices(List<FinetuneProperties.Price> table) {
    return table.stream()
        .map(
            x ->
                new ProviderConfig.Price(
                    x.getModel(), x.getInput(), x.getOutput(), x.getTraining()))
        .toList();
  }

  @Bean(destroyMethod = "shutdownNow")
  ExecutorService inferenceExecutor(FinetuneProperties props) {
    return Executors.newFixedThreadPool(Math.max(1, props.getInferenceConcurrency()));
  }

  @Bean
  DatasetActivitiesImpl datasetActivities(ArtifactStore store) {
    return new DatasetActivitiesImpl(store);
  }

  @Bean
  EvalActivitiesImpl evalActivities(
      ArtifactStore store,
      Providers providers,
      ExecutorService inferenceExecutor,
      DataSource dataSource) {
    return new EvalActivitiesImpl(store, providers, inferenceExecutor, dataSource);
  }

  @Bean
  JudgeActivitiesImpl judgeActivities(
      ArtifactStore store, Providers providers, ExecutorService inferenceExecutor) {
    return new JudgeActivitiesImpl(store, providers, inferenceExecutor);
  }

  @Bean
  TrainingActivitiesImpl trainingActivities(ArtifactStore store, Providers providers) {
    return new TrainingActivitiesImpl(store, providers);
  }

  @Bean
  RegistryActivitiesImpl registryActivities(DataSource dataSource) {
    return new RegistryActivitiesImpl(dataSource);
  }

  @Bean
  DriftActivitiesImpl driftActivities(
      ArtifactStore store,
      DataSource dataSource,
      FinetuneProperties props,
      ObjectProvider<Redactor> redactor) {
    // A check without a batch reads the gateway's traces when the model's spec says so; a window
    // ends a little before now, so that traces still in a gateway's write queue are not skipped.
    return new DriftActivitiesImpl(
        store,
        dataSource,
        new TraceDriftSource(
            dataSource,
            store,
            // The gateway's own when this context serves one (a bad rule is reported there).
            redactor.getIfAvailable(() -> Redaction.of(props)),
            Clock.systemUTC(),
            TRACE_SETTLE));
  }

  /** How long a trace may wait in a gateway's write queue before a drift check reads past it. */
  static final Duration TRACE_SETTLE = Duration.ofSeconds(10);

  @Bean
  RolloutActivitiesImpl rolloutActivities(
      DataSource dataSource,
      RegistryActivitiesImpl registryActivities,
      Providers providers,
      JudgeActivitiesImpl judgeActivities) {
    return new RolloutActivitiesImpl(dataSource, registryActivities, providers, judgeActivities);
  }

  /** Checks the approver tokens of decisions (the spec's approval.requireToken). */
  @Bean
  ApproverActivitiesImpl approverActivities(DataSource dataSource) {
    return new ApproverActivitiesImpl(dataSource);
  }

  @Bean
  WebhookNotifier notificationActivities(FinetuneProperties props) {
    return new WebhookNotifier(props.getNotifications().getWebhookUrl());
  }

  /**
   * Holds the embedded provider, if enabled, so Spring closes it with the context, and the key it
   * requires (null: none).
   */
  public record LocalProviderHandle(LocalProvider provider, String apiKey)
      implements AutoCloseable {
    @Override
    public String toString() {
      return "LocalProviderHandle[" + (provider == null ? "disabled" : provider.baseUrl()) + "]";
    }

    @Override
    public void close() {
      if (provider != null) {
        provider.close();
      }
    }
  }
}
