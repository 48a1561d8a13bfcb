package io.finetune.worker;

import io.finetune.activities.provider.ProviderMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Metrics, unless {@code finetune.metrics.port} is -1: a Prometheus registry, which the Temporal
 * Spring Boot starter finds and reports the SDK's metrics to (its {@code temporalMetricsScope},
 * flushed every 10 s; workflow code's {@code Workflow.getMetricsScope()} too), our provider request
 * metrics and a few JVM ones, served by {@link MetricsServer} on 127.0.0.1.
 */
@Configuration
@ConditionalOnExpression("${finetune.metrics.port:0} >= 0")
public class MetricsConfiguration {

  @Bean(destroyMethod = "close")
  PrometheusMeterRegistry prometheusMeterRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  @Bean(destroyMethod = "close")
  JvmGcMetrics jvmGcMetrics(MeterRegistry registry) {
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    return gc;
  }

  @Bean
  ProviderMetrics providerMetrics(MeterRegistry registry) {
    return new MicrometerProviderMetrics(registry);
  }

  @Bean(destroyMethod = "close")
  MetricsServer metricsServer(FinetuneProperties props, PrometheusMeterRegistry registry)
      throws IOException {
    return MetricsServer.start(props.getMetrics().getPort(), registry);
  }
}
