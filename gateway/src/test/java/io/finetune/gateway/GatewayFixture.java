package io.finetune.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.provider.RetryPolicy;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.spec.PipelineSpec;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;

/**
 * A gateway on an in-memory H2 database migrated by the worker's Flyway scripts, in front of one
 * provider, with an HTTP client and helpers to read what the database holds.
 */
final class GatewayFixture implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String PROVIDER_KEY = "sk-provider-secret";

  final DataSource db;
  final RegistryActivitiesImpl registry;
  final ApiTokens tokens;
  final TraceWriter traces;
  final FeedbackStore feedback;
  final GatewayServer gateway;
  final String token;
  final OkHttpClient http = new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(30)).build();

  GatewayFixture(String providerBaseUrl, List<ProviderConfig.Price> prices) throws IOException {
    db = migratedH2();
    registry = new RegistryActivitiesImpl(db);
    tokens = new ApiTokens(db);
    traces = new TraceWriter(db, new Redactor(), 1_000, 100);
    feedback = new FeedbackStore(db, traces, new Redactor());
    // Quick retries: a provider failure reaches the client in well under a second.
    RetryPolicy quick =
        new RetryPolicy(Duration.ofMillis(300), Duration.ofMillis(10), Duration.ofMillis(50));
    Providers providers =
        new Providers(
            List.of(
                new ProviderConfig("local", providerBaseUrl, PROVIDER_KEY, 100, quick)
                    .withPrices(prices)));
    gateway =
        GatewayServer.start(
            GatewayServer.Options.loopback(0), registry, providers, tokens, traces, feedback);
    token = tokens.create("tests").token();
  }

  static DataSource migratedH2() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:gateway-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Flyway.configure().dataSource(h2).locations("classpath:db/migration").load().migrate();
    return h2;
  }

  /** Promotes {@code modelId} as the next version of {@code name}, serving all its traffic. */
  ModelVersion promote(String name, String modelId) {
    return promote(name, modelId, true);
  }

  /** The same; {@code serve} false: for a rollout, which starts it as a canary. */
  ModelVersion promote(String name, String modelId, boolean serve) {
    return registry.promote(
        new PromoteRequest(
            name,
            "run-" + UUID.randomUUID(),
            modelId,
            "local",
            "small",
            Map.of("exact_match", 0.9),
            new PipelineSpec(
                name,
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
            "alice",
            serve));
  }

  /** A status, the trace id header and the parsed body of one answer. */
  record Answer(int status, String traceId, JsonNode body, String wwwAuthenticate) {
    String errorMessage() {
      return body.path("error").path("message").asText();
    }
  }

  Answer post(String path, String json, String bearer) throws IOException {
    Request.Builder r =
        new Request.Builder()
            .url(gateway.baseUrl() + path.replaceFirst("^/v1", ""))
            .post(RequestBody.create(json, MediaType.get("application/json")));
    if (bearer != null) {
      r.header("Authorization", "Bearer " + bearer);
    }
    try (Response response = http.newCall(r.build()).execute()) {
      String text = response.body().string();
      return new Answer(
          response.code(),
          response.header(GatewayServer.TRACE_HEADER),
          text.isEmpty() ? null : JSON.readTree(text),
          response.header("WWW-Authenticate"));
    }
  }

  Answer post(String path, String json) throws IOException {
    return post(path, json, token);
  }

  /** Every row of {@code table}, each column as text (null stays null). */
  List<Map<String, String>> rows(String table) {
    return rows(db, table);
  }

  /** Every row of {@code table} in {@code db}, each column as text (null stays null). */
  static List<Map<String, String>> rows(DataSource db, String table) {
    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT * FROM " + table)) {
      ResultSetMetaData meta = rs.getMetaData();
      List<Map<String, String>> out = new ArrayList<>();
      while (rs.next()) {
        Map<String, String> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.put(meta.getColumnName(i).toLowerCase(Locale.ROOT), rs.getString(i));
        }
        out.add(row);
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits until the writer has written everything recorded so far. */
  void awaitTraces() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (traces.pending() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }

  @Override
  public void close() {
    gateway.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
