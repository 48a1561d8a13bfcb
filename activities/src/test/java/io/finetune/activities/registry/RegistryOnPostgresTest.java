package io.finetune.activities.registry;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The registry's tests on PostgreSQL, with the same migrations as on H2. Runs where
 * FINETUNE_TEST_POSTGRES_URL names a database (user and password finetune); .ci/run sets one up.
 */
@EnabledIfEnvironmentVariable(named = "FINETUNE_TEST_POSTGRES_URL", matches = ".+")
class RegistryOnPostgresTest extends RegistryActivitiesImplTest {

  @BeforeEach
  @Override
  void migrate() {
    PGSimpleDataSource pg = new PGSimpleDataSource();
    pg.setURL(System.getenv("FINETUNE_TEST_POSTGRES_URL"));
    pg.setUser("finetune");
    pg.setPassword("finetune");
    db = pg;
    Flyway flyway =
        Flyway.configure()
            .dataSource(db)
            .locations("classpath:db/migration")
            .cleanDisabled(false)
            .load();
    flyway.clean();
    flyway.migrate();
  }
}
