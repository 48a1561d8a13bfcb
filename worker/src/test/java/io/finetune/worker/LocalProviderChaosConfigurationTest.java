package io.finetune.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune.provider.local.Chaos;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code finetune.local-provider.chaos.*}: off by default, and handed to the local provider. */
class LocalProviderChaosConfigurationTest {
  @TempDir Path home;

  private FinetuneProperties bind(Map<String, String> values) {
    Map<String, String> all = new HashMap<>(values);
    all.put("finetune.home", home.toString());
    return new Binder(new MapConfigurationPropertySource(all))
        .bind("finetune", FinetuneProperties.class)
        .get();
  }

  @Test
  void offByDefault() {
    FinetuneProperties.Chaos chaos = bind(Map.of()).getLocalProvider().getChaos();
    assertThat(chaos.getRate()).isZero();
    assertThat(chaos.getSeed()).isEqualTo(1);
    assertThat(chaos.getAddedLatency()).isEqualTo(Duration.ZERO);
  }

  @Test
  void theWorkersLocalProviderInjectsTheConfiguredFaults() throws Exception {
    FinetuneProperties props =
        bind(
            Map.of(
                "finetune.local-provider.chaos.rate", "1",
                "finetune.local-provider.chaos.seed", "5",
                "finetune.local-provider.chaos.added-latency", "50ms"));
    assertThat(props.getLocalProvider().getChaos().getAddedLatency())
        .isEqualTo(Duration.ofMillis(50));
    try (ActivitiesConfiguration.LocalProviderHandle handle =
        new ActivitiesConfiguration().localProvider(props)) {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest models =
          HttpRequest.newBuilder(URI.create(handle.provider().baseUrl() + "/models")).build();
      for (int i = 0; i < 8; i++) {
        try {
          int status = http.send(models, HttpResponse.BodyHandlers.ofString()).statusCode();
          assertThat(status).isIn(429, 500, 503);
        } catch (IOException dropped) {
          // a dropped connection, one of the injected faults
        }
      }
      Map<Chaos.Fault, Long> faults = handle.provider().faultsInjected();
      assertThat(handle.provider().faultsInjectedTotal()).isGreaterThanOrEqualTo(8);
      assertThat(faults.values().stream().filter(n -> n > 0).count()).isGreaterThan(1);
    }
  }
}
