package io.finetune.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.training.FineTuningApi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;

/**
 * Provider settings as users write them: the worker's own application.yaml and every worker example
 * of README.md's provider section bind, and each provider's API is one the worker speaks.
 */
class ProviderSettingsTest {

  private static FinetuneProperties bind(Resource yaml) throws IOException {
    StandardEnvironment env = new StandardEnvironment();
    for (PropertySource<?> source : new YamlPropertySourceLoader().load("yaml", yaml)) {
      env.getPropertySources().addFirst(source);
    }
    return new Binder(ConfigurationPropertySources.get(env))
        .bind("finetune", FinetuneProperties.class)
        .orElseGet(FinetuneProperties::new);
  }

  private static List<String> readmeWorkerExamples() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    String section = readme.substring(readme.indexOf("\n## Providers"));
    section = section.substring(0, section.indexOf("\n## ", 5));
    List<String> blocks = new ArrayList<>();
    for (String part : section.split("```yaml\n", -1)) {
      if (part.startsWith("# worker")) {
        blocks.add(part.substring(0, part.indexOf("```")));
      }
    }
    return blocks;
  }

  @Test
  void theWorkersOwnSettingsPriceTheLocalModels() throws IOException {
    FinetuneProperties props = bind(new ClassPathResource("application.yaml"));
    ProviderConfig local =
        new ProviderConfig("local", "http://127.0.0.1:1/v1", "", 200)
            .withPrices(
                props.getLocalProvider().getPrices().stream()
                    .map(
                        p ->
                            new ProviderConfig.Price(
                                p.getModel(), p.getInput(), p.getOutput(), p.getTraining()))
                    .toList());
    assertThat(local.price("local-large"))
        .hasValueSatisfying(p -> assertThat(p.inputPerMillion()).isPositive());
    assertThat(local.price("ft:local-small:ticket-triage:abc123"))
        .hasValueSatisfying(p -> assertThat(p.model()).isEqualTo("ft:local-small*"));
    assertThat(local.price("local-small").orElseThrow().trainingPerMillion()).isPositive();
    assertThat(props.getLocalProvider().getLatency().getLarge())
        .isGreaterThan(props.getLocalProvider().getLatency().getSmall());
  }

  @Test
  void everyWorkerExampleInTheReadmeBindsAndNamesAnApiTheWorkerSpeaks() throws IOException {
    List<String> examples = readmeWorkerExamples();
    assertThat(examples).hasSizeGreaterThanOrEqualTo(3);
    int providers = 0;
    for (String example : examples) {
      FinetuneProperties props =
          bind(new ByteArrayResource(example.getBytes(StandardCharsets.UTF_8)));
      assertThat(props.getProviders()).as(example).isNotEmpty();
      for (var e : props.getProviders().entrySet()) {
        FinetuneProperties.Provider p = e.getValue();
        assertThat(p.getBaseUrl()).as(e.getKey()).startsWith("http");
        p.getPrices().forEach(price -> assertThat(price.getModel()).as(e.getKey()).isNotBlank());
        ProviderConfig config =
            new ProviderConfig(e.getKey(), p.getBaseUrl(), "", p.getPollMillis())
                .withApi(p.getApi());
        // Refuses an api it does not speak, naming the allowed ones.
        assertThat(FineTuningApi.of(new Providers(List.of(config)).client(e.getKey()))).isNotNull();
        providers++;
      }
    }
    assertThat(providers).isGreaterThanOrEqualTo(4);
  }
}
