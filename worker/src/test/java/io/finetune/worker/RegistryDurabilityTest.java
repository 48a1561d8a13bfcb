package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.core.io.ClassPathResource;

/**
 * A commit to the worker's default database (embedded H2, as application.yaml configures it) is on
 * disk when the commit returns: a worker killed right after a promotion that Temporal recorded as
 * done must not lose the registry version. (H2's default write delay lost it in the crash
 * campaign.)
 */
class RegistryDurabilityTest {
  @TempDir Path home;

  /** Writes one committed row, then dies at once, as kill -9 would. */
  public static final class CommitThenDie {
    public static void main(String[] args) throws Exception {
      Connection c = DriverManager.getConnection(args[0], "finetune", "");
      c.createStatement().execute("CREATE TABLE IF NOT EXISTS t (i INT)");
      Thread.sleep(1500); // let the table reach the disk whatever the settings
      c.createStatement().execute("INSERT INTO t VALUES (1)");
      Runtime.getRuntime().halt(0);
    }
  }

  @Test
  void aCommittedRowSurvivesTheProcessDyingRightAfter() throws Exception {
    YamlPropertiesFactoryBean yaml = new YamlPropertiesFactoryBean();
    yaml.setResources(new ClassPathResource("application.yaml"));
    Properties props = yaml.getObject();
    String url =
        props
            .getProperty("spring.datasource.url")
            .replace("${finetune.home}", home.toAbsolutePath().toString());

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    cmd.add(CommitThenDie.class.getName());
    cmd.add(url);
    Process p = new ProcessBuilder(cmd).inheritIO().start();
    p.waitFor(60, TimeUnit.SECONDS);
    assertEquals(0, p.exitValue());

    try (Connection c = DriverManager.getConnection(url, "finetune", "");
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM t")) {
      rs.next();
      assertEquals(1, rs.getInt(1), "the committed row was lost with the process (" + url + ")");
    }
  }
}
