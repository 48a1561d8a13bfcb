package io.finetune.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.gateway.ApiTokens;
import io.finetune.gateway.FeedbackStore;
import io.finetune.gateway.GatewayServer;
import io.finetune.gateway.Redactor;
import io.finetune.gateway.TraceWriter;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The gateway as {@code finetune serve} wires it (GatewayServing), in a process of its own: an H2
 * file database behind a Hikari pool, migrated by the production migrations; one model promoted on
 * a provider named {@code stub}; a token. Prints {@code ready PORT TOKEN} on stdout; on SIGTERM
 * (Ctrl-C in {@code serve}) it closes the gateway, which lets requests in flight finish and writes
 * every trace, prints {@code written N} and shuts the database down cleanly.
 *
 * <pre>
 * java io.finetune.bench.BenchGateway DB_PATH STUB_BASE_URL QUEUE BATCH SLOW_BATCH_MILLIS
 * </pre>
 *
 * <p>{@code SLOW_BATCH_MILLIS} above 0 makes every JDBC batch (the trace writer's inserts) take
 * that much longer: a slow database, which must slow the callers down rather than lose traces.
 */
public final class BenchGateway {
  static final String MODEL = "bench";
  static final String PROVIDER_MODEL = "ft:bench-model";

  private BenchGateway() {}

  public static void main(String[] args) throws Exception {
    String dbPath = args[0];
    String stubBaseUrl = args[1];
    int queue = Integer.parseInt(args[2]);
    int batch = Integer.parseInt(args[3]);
    long slowBatchMillis = Long.parseLong(args[4]);

    HikariConfig hikari = new HikariConfig();
    // The worker's URL (application.yaml) but for AUTO_SERVER; the database is closed by us, after
    // the last trace, not by H2's own shutdown hook racing the gateway's.
    hikari.setJdbcUrl("jdbc:h2:file:" + dbPath + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE");
    hikari.setUsername("sa");
    hikari.setPassword("");
    HikariDataSource pool = new HikariDataSource(hikari);
    Flyway.configure().dataSource(pool).locations("classpath:db/migration").load().migrate();
    DataSource db = slowBatchMillis > 0 ? slowBatches(pool, slowBatchMillis) : pool;

    RegistryActivitiesImpl registry = new RegistryActivitiesImpl(pool);
    promote(registry);
    ApiTokens tokens = new ApiTokens(pool);
    String token = tokens.create("bench").token();
    Redactor redactor = new Redactor();
    TraceWriter traces = new TraceWriter(db, redactor, queue, batch);
    FeedbackStore feedback = new FeedbackStore(pool, traces, redactor);
    Providers providers =
        new Providers(List.of(new ProviderConfig("stub", stubBaseUrl, "sk-stub", 1_000)));
    GatewayServer gateway =
        GatewayServer.start(
            GatewayServer.Options.loopback(0), registry, providers, tokens, traces, feedback);

    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  gateway.close();
                  System.out.println("written " + traces.written());
                  try (Connection c = pool.getConnection();
                      Statement s = c.createStatement()) {
                    s.execute("SHUTDOWN");
                  } catch (Exception e) {
                    System.err.println("Could not shut the database down: " + e);
                  }
                  pool.close();
                  System.out.flush();
                  closed.countDown();
                }));
    System.out.println("ready " + gateway.port() + " " + token);
    System.out.flush();
    closed.await();
  }

  private static void promote(RegistryActivitiesImpl registry) {
    registry.promote(
        new PromoteRequest(
            MODEL,
            "run-bench",
            PROVIDER_MODEL,
            "stub",
            "small",
            Map.of("exact_match", 0.9),
            new PipelineSpec(
                MODEL,
                null,
                List.of("category"),
                List.of(),
                "p",
                null,
                null,
                "stub",
                null,
                null,
                null),
            new DatasetRef("train", "/store/d.jsonl", "abc", 10, 10),
            "bench"));
  }

  /** {@code db} whose statements' {@code executeBatch} each take {@code millis} longer. */
  static DataSource slowBatches(DataSource db, long millis) {
    return proxy(
        DataSource.class,
        db,
        (target, m, a) -> {
          Object out = m.invoke(target, a);
          if (m.getName().equals("getConnection")) {
            return proxy(
                Connection.class,
                out,
                (c, cm, ca) -> {
                  Object st = cm.invoke(c, ca);
                  if (cm.getName().equals("prepareStatement")) {
                    return proxy(
                        PreparedStatement.class,
                        st,
                        (s, sm, sa) -> {
                          if (sm.getName().equals("executeBatch")) {
                            Thread.sleep(millis);
                          }
                          return sm.invoke(s, sa);
                        });
                  }
                  return st;
                });
          }
          return out;
        });
  }

  private interface Call {
    Object call(Object target, Method m, Object[] args) throws Throwable;
  }

  private static <T> T proxy(Class<T> type, Object target, Call call) {
    InvocationHandler h =
        (p, m, a) -> {
          try {
            return call.call(target, m, a);
          } catch (InvocationTargetException e) {
            throw e.getCause(); // the JDBC exception itself, as the writer expects
          }
        };
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h));
  }
}
