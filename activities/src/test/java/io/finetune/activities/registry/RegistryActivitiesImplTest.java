package io.finetune.activities.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryActivitiesImplTest {
  @TempDir Path dir;

  private static PromoteRequest promote(String run, String model) {
    return new PromoteRequest(
        "triage", run, model, "local", "medium", Map.of("exact_match", 0.9), null, null, "alice");
  }

  @Test
  void promotionsMakeVersionsAndARetriedPromotionIsTheSameVersion() {
    RegistryActivitiesImpl registry = new RegistryActivitiesImpl(dir);
    ApplicationFailure none =
        assertThrows(ApplicationFailure.class, () -> registry.current("triage"));
    assertTrue(none.isNonRetryable());

    ModelVersion v1 = registry.promote(promote("run-1", "ft:a"));
    assertEquals(v1, registry.promote(promote("run-1", "ft:a")));
    ModelVersion v2 = new RegistryActivitiesImpl(dir).promote(promote("run-2", "ft:b"));

    assertEquals(1, v1.version());
    assertEquals(2, v2.version());
    assertEquals("ft:b", new RegistryActivitiesImpl(dir).current("triage").modelId());
  }
}
