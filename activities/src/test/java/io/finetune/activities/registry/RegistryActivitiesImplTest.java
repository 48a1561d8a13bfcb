package io.finetune.activities.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry on a real database, migrated by the same Flyway scripts the worker runs: embedded H2
 * here, PostgreSQL in {@link OnPostgres} when CI provides one.
 */
class RegistryActivitiesImplTest {
  DataSource db;

  @BeforeEach
  void migrate() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:registry-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    db = h2;
    Flyway.configure().dataSource(db).locations("classpath:db/migration").load().migrate();
  }

  private static PromoteRequest promote(String run, String model) {
    return new PromoteRequest(
        "triage",
        run,
        model,
        "local",
        "medium",
        Map.of("exact_match", 0.9),
        new PipelineSpec(
            "triage",
            null,
            List.of("category"),
            List.of(),
            "p",
            null,
            null,
            "local",
            null,
            null,
            null),
        new DatasetRef("train", "/store/d.jsonl", "abc", 10, 10),
        "alice");
  }

  @Test
  void promotionsMakeVersionsAndARetriedPromotionIsTheSameVersion() {
    RegistryActivitiesImpl registry = new RegistryActivitiesImpl(db);
    ApplicationFailure none =
        assertThrows(ApplicationFailure.class, () -> registry.current("triage"));
    assertTrue(none.isNonRetryable());
    assertNull(registry.find("triage"), "find answers none instead of failing");

    ModelVersion v1 = registry.promote(promote("run-1", "ft:a"));
    assertEquals(v1, registry.promote(promote("run-1", "ft:a")));
    ModelVersion v2 = new RegistryActivitiesImpl(db).promote(promote("run-2", "ft:b"));

    assertEquals(1, v1.version());
    assertEquals(2, v2.version());
    ModelVersion current = new RegistryActivitiesImpl(db).current("triage");
    assertEquals(v2, current);
    assertEquals(v2, registry.find("triage"));
    assertEquals("abc", current.dataset().sha256());
    assertEquals(List.of("category"), current.spec().outputFields());
  }

  @Test
  void aVersionIsFoundByItsNumberAndAMissingOneIsNull() {
    RegistryActivitiesImpl registry = new RegistryActivitiesImpl(db);
    ModelVersion v1 = registry.promote(promote("run-1", "ft:a"));
    ModelVersion v2 = registry.promote(promote("run-2", "ft:b"));

    assertEquals(v1, registry.find("triage", 1));
    assertEquals(v2, registry.find("triage", 2));
    assertEquals("ft:a", registry.find("triage", 1).modelId(), "an older version, not the current");
    assertNull(registry.find("triage", 3));
    assertNull(registry.find("other", 1));
    assertThrows(ApplicationFailure.class, () -> registry.find("Not A Name", 1));
  }

  @Test
  void concurrentPromotionsGetDistinctVersions() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<ModelVersion>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String run = "run-" + i;
        Callable<ModelVersion> promote =
            () -> new RegistryActivitiesImpl(db).promote(promote(run, "ft:" + run));
        results.add(pool.submit(promote));
      }
      List<Integer> versions = new ArrayList<>();
      for (Future<ModelVersion> f : results) {
        versions.add(f.get().version());
      }
      versions.sort(Integer::compare);
      assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8), versions);
    } finally {
      pool.shutdownNow();
    }
  }
}
