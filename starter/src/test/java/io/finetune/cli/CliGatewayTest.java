package io.finetune.cli;

import static io.finetune.cli.CliInProcessTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.cli.CliInProcessTest.Result;
import io.finetune.serve.GatewayApplication;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * {@code tokens} and {@code serve} run in-process on a database of their own, without Temporal: a
 * token created by the CLI lets a client call a promoted model through the gateway, and once
 * revoked it is refused.
 */
class CliGatewayTest {
  private static final Pattern TOKEN = Pattern.compile("ftgw-[A-Za-z0-9_-]+");
  private static final OkHttpClient HTTP = new OkHttpClient();

  @TempDir Path home;

  private Result tokens(String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "tokens";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--home";
    all[args.length + 2] = home.toString();
    return cli(all);
  }

  private static Response chat(String url, String token, String model) throws Exception {
    String body =
        "{\"model\": \""
            + model
            + "\", \"messages\": [{\"role\": \"user\", \"content\": \"My invoice is wrong\"}]}";
    return HTTP.newCall(
            new Request.Builder()
                .url(url + "/chat/completions")
                .header("Authorization", "Bearer " + token)
                .post(RequestBody.create(body, MediaType.get("application/json")))
                .build())
        .execute();
  }

  @Test
  void anApproverTokenIsShownOnceListedWithItsApproverAndRevoked() {
    Result created = tokens("create", "--approver", "alice");
    assertEquals(0, created.exit(), created.all());
    Matcher m =
        Pattern.compile("ftap-(tok_[0-9a-f]{16})\\.[A-Za-z0-9_-]{43}").matcher(created.out());
    assertTrue(m.find(), "an approver token in:\n" + created.out());
    assertTrue(created.out().contains("approver token 'approver-alice'"), created.out());
    assertTrue(created.out().contains("FINETUNE_APPROVER_TOKEN"), created.out());
    assertTrue(created.out().contains("not stored"), created.out());

    Result noName = tokens("create");
    assertEquals(2, noName.exit(), noName.all());
    assertTrue(noName.err().contains("--approver NAME"), noName.all());
    Result badName = tokens("create", "--approver", "alice smith");
    assertEquals(2, badName.exit(), badName.all());
    assertTrue(badName.err().contains("Approver 'alice smith' must be"), badName.all());

    Result list = tokens("list");
    assertEquals(0, list.exit(), list.all());
    String line =
        list.out().lines().filter(l -> l.startsWith("approver-alice ")).findFirst().orElseThrow();
    assertTrue(
        line.matches("approver-alice\\s+" + m.group(1) + "\\s+approver\\s+alice\\s+.* UTC\\s+-"),
        line);
    assertFalse(list.out().contains("ftap-"), "no token in the list:\n" + list.out());

    Result revoked = tokens("revoke", m.group(1));
    assertEquals(0, revoked.exit(), revoked.all());
    assertTrue(revoked.out().contains("decisions that carry it are refused"), revoked.out());
  }

  @Test
  void aTokenCreatedByTheCliCallsAPromotedModelUntilItIsRevoked() throws Exception {
    try (ConfigurableApplicationContext db =
        GatewayApplication.database(Map.of("finetune.home", home.toString()))) {
      new RegistryActivitiesImpl(db.getBean(DataSource.class))
          .promote(
              new PromoteRequest(
                  "ticket-triage",
                  "run-1",
                  "local-large",
                  "local",
                  "large",
                  Map.of(),
                  null,
                  null,
                  "alice"));
    }

    Result created = tokens("create", "app");
    assertEquals(0, created.exit(), created.all());
    Matcher m = TOKEN.matcher(created.out());
    assertTrue(m.find(), "a token in:\n" + created.out());
    String token = m.group();
    assertTrue(created.out().contains("not stored"), created.out());

    Result duplicate = tokens("create", "app");
    assertEquals(2, duplicate.exit(), duplicate.all());
    assertTrue(duplicate.err().contains("'app' already"), duplicate.err());

    int port = CliInProcessTest.freePort();
    CompletableFuture<Result> serve =
        CompletableFuture.supplyAsync(
            () -> cli("serve", "--port", String.valueOf(port), "--home", home.toString()));
    try {
      String url = "http://127.0.0.1:" + port + "/v1";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (ServeCommand.stopForTests == null) {
        assertFalse(serve.isDone(), () -> "serve ended: " + serve.join().all());
        assertTrue(System.nanoTime() < deadline, "serve did not start in 30 s");
        Thread.sleep(20);
      }

      try (Response r = chat(url, token, "ticket-triage")) {
        String body = r.body().string();
        assertEquals(200, r.code(), body);
        assertNotNull(r.header("x-finetune-trace-id"), "a trace id");
        assertTrue(body.contains("\"choices\""), body);
      }

      Result revoked = tokens("revoke", "app");
      assertEquals(0, revoked.exit(), revoked.all());
      try (Response r = chat(url, token, "ticket-triage")) {
        assertEquals(401, r.code(), r.body().string());
      }
    } finally {
      Runnable stop = ServeCommand.stopForTests;
      if (stop != null) {
        stop.run();
      }
    }
    Result served = serve.get(30, TimeUnit.SECONDS);
    assertEquals(0, served.exit(), served.all());
    assertTrue(served.out().contains("http://127.0.0.1:" + port + "/v1"), served.out());
    assertTrue(served.out().contains("$FINETUNE_TOKEN"), served.out());
    assertFalse(served.all().contains(token), "serve never prints a token");

    Result list = tokens("list");
    assertEquals(0, list.exit(), list.all());
    String line = list.out().lines().filter(l -> l.startsWith("app ")).findFirst().orElseThrow();
    assertFalse(line.endsWith(" -"), "revoked: " + line);
    assertTrue(
        line.matches("app\\s+tok_\\S+\\s+gateway\\s+-\\s+\\S+ \\S+ UTC\\s+\\S+ \\S+ UTC"), line);
    assertFalse(list.out().contains("ftgw-"), "no token in the list:\n" + list.out());

    // The gateway wrote the answered call's trace on close.
    try (ConfigurableApplicationContext db =
            GatewayApplication.database(Map.of("finetune.home", home.toString()));
        var c = db.getBean(DataSource.class).getConnection();
        var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM traces")) {
      rs.next();
      assertEquals(1, rs.getInt(1));
    }
  }

  @Test
  void revokingAnUnknownTokenIsAClearError() {
    Result r = tokens("revoke", "nobody");
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains("No active token is called 'nobody'"), r.err());
    CliInProcessTest.assertNoStackTrace(r);
  }

  @Test
  void aNonLoopbackHostIsRefusedWithoutAllowRemote() {
    Result r = cli("serve", "--host", "0.0.0.0", "--home", home.toString());
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains("--allow-remote"), r.err());
    CliInProcessTest.assertNoStackTrace(r);
    assertFalse(Files.exists(home.resolve("db")), "refused before anything started");
  }

  @Test
  void aPortInUseIsAClearError() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Result r =
          cli("serve", "--port", String.valueOf(taken.getLocalPort()), "--home", home.toString());
      assertEquals(2, r.exit(), r.all());
      assertTrue(r.err().contains("Cannot listen on 127.0.0.1:" + taken.getLocalPort()), r.err());
      CliInProcessTest.assertNoStackTrace(r);
    }
  }
}
