package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.devserver.SearchAttributeTypes;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml registers the search attributes the workflows set (no Docker here to run it).
 */
class ComposeFileTest {

  @Test
  void theNamespaceJobRegistersEverySearchAttribute() throws Exception {
    String compose = Files.readString(Path.of("../docker-compose.yml"));
    FinetuneSearchAttributes.definitions()
        .forEach(
            (name, type) ->
                assertTrue(
                    compose.contains(name + "=" + SearchAttributeTypes.name(type)),
                    name + " missing in docker-compose.yml"));
  }
}
