package io.finetune.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.gateway.ApiTokens;
import io.finetune.gateway.GatewayServer;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The gateway's context as {@code serve} starts it, without Temporal: application.yaml's database
 * and providers, and the {@code finetune.gateway} settings reaching the gateway.
 */
class GatewayApplicationTest {
  @TempDir Path home;

  private Map<String, Object> settings() {
    Map<String, Object> props = new HashMap<>();
    props.put("finetune.home", home.toString());
    props.put("finetune.gateway.port", 0);
    return props;
  }

  @Test
  void configuredRedactionRulesApplyToStoredTraces() throws Exception {
    Map<String, Object> props = settings();
    props.put("finetune.gateway.redaction.customer_id", "CUST-[0-9]{6}");
    props.put("finetune.gateway.queue-size", 5);
    String url;
    try (ConfigurableApplicationContext ctx = GatewayApplication.serve(props)) {
      new RegistryActivitiesImpl(ctx.getBean(DataSource.class))
          .promote(
              new PromoteRequest(
                  "ticket-triage",
                  "run-1",
                  "local-small",
                  "local",
                  "small",
                  Map.of(),
                  null,
                  null,
                  "alice"));
      String token = ctx.getBean(ApiTokens.class).create("tests").token();
      GatewayServer gateway = ctx.getBean(GatewayServer.class);
      url = gateway.baseUrl();
      assertThat(url).startsWith("http://127.0.0.1:");
      String body =
          "{\"model\": \"ticket-triage\", \"messages\": [{\"role\": \"user\", \"content\":"
              + " \"I am CUST-123456 and was charged twice\"}]}";
      try (Response r =
          new OkHttpClient()
              .newCall(
                  new Request.Builder()
                      .url(url + "/chat/completions")
                      .header("Authorization", "Bearer " + token)
                      .post(RequestBody.create(body, MediaType.get("application/json")))
                      .build())
              .execute()) {
        assertThat(r.code()).as(r.body().string()).isEqualTo(200);
      }
    }
    try (ConfigurableApplicationContext db = GatewayApplication.database(settings());
        Connection c = db.getBean(DataSource.class).getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT input FROM traces")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).contains("[customer_id]").doesNotContain("CUST-123456");
      assertThat(rs.next()).isFalse();
    }
  }

  @Test
  void aConfiguredNonLoopbackHostIsRefusedUnlessAllowed() {
    Map<String, Object> props = settings();
    props.put("finetune.gateway.host", "0.0.0.0");
    assertThatThrownBy(() -> GatewayApplication.serve(props).close())
        .hasRootCauseInstanceOf(GatewayApplication.RemoteNotAllowed.class)
        .rootCause()
        .hasMessageContaining("--allow-remote");
  }

  /** The start-up failure the user is told about, from Spring's exception around it. */
  private static Throwable startFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof GatewayApplication.StartFailure) {
        return t;
      }
    }
    throw new AssertionError("no StartFailure in", e);
  }

  @Test
  void anInvalidRedactionRuleStopsTheStartWithItsReason() {
    Map<String, Object> props = settings();
    props.put("finetune.gateway.redaction.customer_id", "CUST-[0-9");
    Throwable e = catchThrowable(() -> GatewayApplication.serve(props).close());
    assertThat(startFailure(e))
        .hasMessageContaining(
            "finetune.gateway.redaction: Redaction rule 'customer_id' has an invalid pattern");
  }
}
