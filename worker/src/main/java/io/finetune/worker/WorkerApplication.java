package io.finetune.worker;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

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
}
