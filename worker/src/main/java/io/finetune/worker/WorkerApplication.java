package io.finetune.worker;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The worker: hosts the pipeline's workflows and activities on task queue {@code fine-tune} (see
 * application.yaml), connecting to {@code TEMPORAL_ADDRESS} / {@code TEMPORAL_NAMESPACE}.
 */
@SpringBootApplication
@EnableConfigurationProperties(FinetuneProperties.class)
public class WorkerApplication {
  public static void main(String[] args) {
    SpringApplication.run(WorkerApplication.class, args);
  }

  /** Starts the worker with {@code overrides} on top of application.yaml and the environment. */
  public static ConfigurableApplicationContext start(Map<String, Object> overrides) {
    String[] args =
        overrides.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    return new SpringApplication(WorkerApplication.class).run(args);
  }
}
