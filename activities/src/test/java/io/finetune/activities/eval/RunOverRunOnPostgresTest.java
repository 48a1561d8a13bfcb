package io.finetune.activities.eval;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Run over run on PostgreSQL, with the same migrations as on H2. Runs where
 * FINETUNE_TEST_POSTGRES_URL names a database (user and password finetune); .ci/run sets one up.
 */
@EnabledIfEnvironmentVariable(named = "FINETUNE_TEST_POSTGRES_URL", matches = ".+")
class RunOverRunOnPostgresTest extends RunOverRunTest {

  @Override
  DataSource migratedDatabase() {
    PGSimpleDataSource pg = new PGSimpleDataSource();
    pg.setURL(System.getenv("FINETUNE_TEST_POSTGRES_URL"));
    pg.setUser("finetune");
    pg.setPassword("finetune");
    Flyway flyway =
        Flyway.configure()
            .dataSource(pg)
            .locations("classpath:db/migration")
            .cleanDisabled(false)
            .load();
    flyway.clean();
    flyway.migrate();
    return pg;
  }
}
