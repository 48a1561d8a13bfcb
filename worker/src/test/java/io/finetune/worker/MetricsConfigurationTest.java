package io.finetune.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune.activities.provider.ProviderMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.spring.boot.autoconfigure.MetricsScopeAutoConfiguration;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** {@code finetune.metrics.port}: 0 a free port, a fixed one, -1 off (and no Temporal scope). */
class MetricsConfigurationTest {
  @Configuration
  @EnableConfigurationProperties(FinetuneProperties.class)
  static class Props {}

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withUserConfiguration(Props.class, MetricsConfiguration.class)
          .withConfiguration(AutoConfigurations.of(MetricsScopeAutoConfiguration.class));

  @Test
  void byDefaultAFreeLoopbackPortAndTheTemporalScopeReportsToTheRegistry() {
    runner.run(
        ctx -> {
          assertThat(ctx).hasNotFailed().hasBean("temporalMetricsScope");
          MetricsServer server = ctx.getBean(MetricsServer.class);
          assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
          assertThat(server.address().getPort()).isPositive();
          assertThat(ctx.getBean(ProviderMetrics.class))
              .isInstanceOf(MicrometerProviderMetrics.class);
        });
  }

  @Test
  void minusOneTurnsMetricsOff() {
    runner
        .withPropertyValues("finetune.metrics.port=-1")
        .run(
            ctx ->
                assertThat(ctx)
                    .hasNotFailed()
                    .doesNotHaveBean(MetricsServer.class)
                    .doesNotHaveBean(ProviderMetrics.class)
                    .doesNotHaveBean("temporalMetricsScope"));
  }

  @Test
  void aFixedPortIsUsedAndATakenOneFailsStartUp() throws Exception {
    int port;
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = taken.getLocalPort();
      runner
          .withPropertyValues("finetune.metrics.port=" + port)
          .run(ctx -> assertThat(ctx).hasFailed());
    }
    runner
        .withPropertyValues("finetune.metrics.port=" + port)
        .run(ctx -> assertThat(ctx.getBean(MetricsServer.class).uri()).hasPort(port));
  }

  @Test
  void theGateShowsItsLimitAndCountsWaitsByReason() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MicrometerProviderMetrics metrics = new MicrometerProviderMetrics(registry);
    AtomicInteger limit = new AtomicInteger(4);
    metrics.concurrencyLimit("openai", limit::get);
    metrics.throttled("openai", ProviderMetrics.Throttle.TOKENS);
    metrics.throttled("openai", ProviderMetrics.Throttle.TOKENS);
    limit.set(2);

    assertThat(
            registry
                .get(MicrometerProviderMetrics.CONCURRENCY_LIMIT)
                .tag("provider", "openai")
                .gauge()
                .value())
        .isEqualTo(2);
    assertThat(
            registry
                .get(MicrometerProviderMetrics.THROTTLED)
                .tags("provider", "openai", "reason", "tokens")
                .counter()
                .count())
        .isEqualTo(2);
  }

  @Test
  void statusClasses() {
    assertThat(MicrometerProviderMetrics.statusClass(200)).isEqualTo("2xx");
    assertThat(MicrometerProviderMetrics.statusClass(429)).isEqualTo("4xx");
    assertThat(MicrometerProviderMetrics.statusClass(503)).isEqualTo("5xx");
    assertThat(MicrometerProviderMetrics.statusClass(0)).isEqualTo("none");
  }
}
