package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpServer;
import io.finetune.devserver.TemporalCli;
import io.finetune.workflows.codec.EncryptionCodec;
import io.finetune.workflows.codec.EncryptionKeys;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * No secret leaks: whole pipelines run with every secret the product takes set (provider keys, the
 * payload-encryption keys, the codec endpoint's token, the reminder webhook's URL, the gateway's
 * API token), then every workflow history (as stored and decoded), every log line of the worker,
 * the gateway and the CLI, and every file under the home folder (reports, datasets, predictions,
 * the registry's and the Temporal server's databases, the local provider's files, the server's log)
 * are scanned for each secret in every form (see {@link SecretScan}): zero occurrences.
 *
 * <p>Two pipelines run through promotion on the Temporal CLI's dev server, one on the embedded
 * provider ({@code local}) and one on an OpenAI-style provider configured like a remote one ({@code
 * loopback}: base URL, key from an environment variable) pointing at the same server on loopback,
 * which answers only requests with the key; then the gateway serves both models with an API token,
 * a drift check runs, and traces are exported. The figures go to {@code target/security/leaks.txt},
 * whose first line CI prints.
 *
 * <p>A new secret is one more {@link #secret} call (setting it in the environment of every process
 * started after it), or for a token that {@code tokens create} prints, one {@link #secretFrom}.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@SuppressWarnings("JdkObsolete") // its StringBuffers are appended to by reader threads
class SecretLeakIT {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  private static final Path REPORT = Path.of("target", "security", "leaks.txt");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration COMMAND_DEADLINE = Duration.ofMinutes(2);

  /** The provider key variable, for both providers. */
  private static final String PROVIDER_KEY = "FINETUNE_TEST_PROVIDER_KEY";

  @TempDir Path home;

  /** Every secret by its environment variable; each process gets the ones set when it starts. */
  private final Map<String, String> secrets = new LinkedHashMap<>();

  /** No secret: a marker in the specs (the judge's rubric) that history must carry encrypted. */
  private static final String CONTROL = "control-marker-" + random(8);

  private final SecretScan scan = new SecretScan().control(CONTROL);

  /** Each process's output, by a name that says which process (for the report). */
  private final Map<String, StringBuffer> logs = new LinkedHashMap<>();

  /** Outputs that show a secret by design (tokens create prints its token once), by secret. */
  private final Map<String, Set<String>> exempt = new LinkedHashMap<>();

  private final List<Process> processes = new CopyOnWriteArrayList<>();
  private final Map<Process, Thread> readers = new ConcurrentHashMap<>();
  private final HttpClient http = HttpClient.newHttpClient();

  /** The answers the test's HTTP calls got (the gateway's, the provider's), scanned as a log. */
  private final StringBuffer answers = new StringBuffer();

  private int temporalPort;
  private int commands;

  @AfterEach
  void stopAll() throws InterruptedException {
    for (Process p : processes) {
      stop(p);
    }
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Sets a secret for the processes started from now on and adds it to the scan. */
  private void secret(String variable, String value, String... parts) {
    secrets.put(variable, value);
    scan.add(variable, value, parts);
  }

  @Test
  void noSecretInAnyHistoryLogOrFile() throws Exception {
    Files.deleteIfExists(REPORT); // CI reads it: never a previous run's
    boolean installed = TemporalCli.find(REPO).isPresent();
    if (!installed && System.getenv("FINETUNE_REQUIRE_TEMPORAL_CLI") != null) {
      throw new AssertionError(
          "FINETUNE_REQUIRE_TEMPORAL_CLI is set but the Temporal CLI is not installed; run "
              + TemporalCli.HOW_TO_GET);
    }
    assumeTrue(installed, "needs the Temporal CLI's dev server: " + TemporalCli.HOW_TO_GET);
    // It runs on the real dev server whatever the execution; once is enough.
    assumeTrue(
        !"embedded".equals(System.getProperty("finetune.e2e.server")),
        "runs in the execution on the Temporal CLI's dev server");
    long started = System.nanoTime();

    // The secrets. The encryption key and the webhook's path are secrets inside a value, too.
    byte[] aesKey = new byte[32];
    RANDOM.nextBytes(aesKey);
    String aesKeyText = Base64.getEncoder().encodeToString(aesKey);
    secret(PROVIDER_KEY, "sk-leaktest-" + random(20));
    secret("OPENAI_API_KEY", "sk-proj-" + random(24)); // configured (application.yaml), unused
    secret(EncryptionKeys.VARIABLE, "k1:" + aesKeyText, aesKeyText);
    scan.addBytes(EncryptionKeys.VARIABLE, aesKey);
    secret("FINETUNE_CODEC_TOKEN", random(24));
    HttpServer webhook =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    List<String> reminders = new CopyOnWriteArrayList<>();
    String hookPath = "/hooks/" + random(16);
    webhook.createContext(
        "/",
        ex -> {
          try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (ex.getRequestURI().getPath().equals(hookPath)) {
              reminders.add(body);
            }
            ex.sendResponseHeaders(ex.getRequestURI().getPath().equals(hookPath) ? 200 : 404, -1);
          }
        });
    webhook.start();
    try {
      String hook = "http://127.0.0.1:" + webhook.getAddress().getPort() + hookPath;
      secret("FINETUNE_NOTIFICATIONS_WEBHOOKURL", hook, hookPath.substring("/hooks/".length()));
      runEverything(reminders);
    } finally {
      webhook.stop(0);
    }

    // Logs: every process's output, what the webhook and the HTTP clients received, then every
    // file the runs left.
    for (int i = 0; i < reminders.size(); i++) {
      scan.scanLog("reminder " + (i + 1) + " posted to the webhook", reminders.get(i), Set.of());
    }
    for (Map.Entry<String, StringBuffer> log : logs.entrySet()) {
      scan.scanLog(
          "log of " + log.getKey(),
          log.getValue().toString(),
          exempt.getOrDefault(log.getKey(), Set.of()));
    }
    scan.scanFiles(home);

    String summary = scan.summary();
    List<String> report = new ArrayList<>();
    report.add(summary);
    scan.leaks().forEach(l -> report.add("  " + l));
    report.add(
        "secrets: "
            + String.join(", ", scan.secrets())
            + "; "
            + commands
            + " CLI commands; the specs' control marker in "
            + scan.controlDecoded()
            + " decoded history events, "
            + scan.controlStored()
            + " stored ones; "
            + (System.nanoTime() - started) / 1_000_000_000
            + " s");
    Files.createDirectories(REPORT.getParent());
    Files.write(REPORT, report);
    System.out.println(String.join("\n", report));
    assertTrue(scan.leaks().isEmpty(), String.join("\n", report));
  }

  private void runEverything(List<String> reminders) throws Exception {
    temporalPort = freePort();
    int providerPort = freePort();
    String loopback = "http://127.0.0.1:" + providerPort + "/v1";
    // An OpenAI-style provider as a remote one is configured, on the local provider's port.
    String providers =
        "{\"finetune\":{\"providers\":{\"loopback\":{\"base-url\":\""
            + loopback
            + "\",\"api-key-env\":\""
            + PROVIDER_KEY
            + "\",\"poll-millis\":200}}}}";
    logs.put("HTTP answers to the test's calls", answers);
    StringBuffer devLog = new StringBuffer();
    Process dev =
        launch(
            "dev",
            devLog,
            Map.of(
                "FINETUNE_LOCALPROVIDER_PORT",
                String.valueOf(providerPort),
                "SPRING_APPLICATION_JSON",
                providers),
            "dev",
            "--port",
            String.valueOf(temporalPort));
    awaitLine(dev, devLog, "finetune dev is ready", Duration.ofMinutes(2));
    Matcher codec =
        Pattern.compile(
                "Codec endpoint \\(Temporal remote codec\\): http://127\\.0\\.0\\.1:(\\d+)/")
            .matcher(devLog);
    assertTrue(codec.find(), "the codec endpoint runs:\n" + devLog);
    int codecPort = Integer.parseInt(codec.group(1));

    // The provider really requires the key: the pipelines' calls below all carried it.
    assertEquals(401, get(loopback + "/models", null).statusCode());
    assertEquals(401, get(loopback + "/models", "sk-wrong-" + random(8)).statusCode());
    assertEquals(200, get(loopback + "/models", secrets.get(PROVIDER_KEY)).statusCode());

    String example = ExampleSpec.withAbsolutePaths(REPO);
    String rubric = "is better.";
    assertTrue(example.contains(rubric), example);
    String base =
        example
            .replace(rubric, rubric + " " + CONTROL)
            .replace("sizes: [small, medium, large]", "sizes: [small]")
            .replace("  approvers: []", "  approvers: []\n  remindAfter: 2s\n  requireToken: true");
    Path localSpec =
        Files.writeString(
            home.resolve("leak-local.yaml"),
            base.replace("name: ticket-triage", "name: leak-local"));
    Path loopbackSpec =
        Files.writeString(
            home.resolve("leak-loopback.yaml"),
            base.replace("name: ticket-triage", "name: leak-loopback")
                .replace("provider: local", "provider: loopback")
                .replace(
                    "  promptModel: local-large",
                    "  promptModel: local-large\n"
                        + "  baseModels: {small: local-small, medium: local-medium,"
                        + " large: local-large}"));
    List<String> runs = List.of("leak-local-run", "leak-loopback-run");
    // Every decision carries alice's approver token's proof (approval.requireToken: true).
    secretFrom(cli("tokens", "create", "--approver", "alice"), "FINETUNE_APPROVER_TOKEN");
    ok(cli("start", localSpec.toString(), "--id", runs.get(0)));
    ok(cli("start", loopbackSpec.toString(), "--id", runs.get(1)));

    for (String run : runs) {
      ok(cliUntil(s -> s.contains("waiting for: data-review"), "status", run, "--wait"));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (reminders.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertTrue(!reminders.isEmpty(), "a reminder reached the webhook");
    for (String run : runs) {
      ok(cli("approve", run, "--checkpoint", "data-review", "--by", "alice"));
    }
    for (String run : runs) {
      ok(cliUntil(s -> s.contains("waiting for: promotion"), "status", run, "--wait"));
      ok(cli("approve", run, "--checkpoint", "promotion", "--by", "alice"));
    }
    for (String run : runs) {
      String done = ok(cliUntil(s -> s.contains("outcome:"), "status", run, "--wait"));
      assertTrue(done.contains("outcome: PROMOTED"), done);
      assertTrue(done.contains("verified (token "), "the decisions were verified:\n" + done);
    }

    // Production: a token, the gateway on both models, feedback, refused tokens.
    secretFrom(cli("tokens", "create", "leak-app"), "FINETUNE_TOKEN");
    StringBuffer serveLog = new StringBuffer();
    Process serve =
        launch(
            "serve",
            serveLog,
            Map.of("FINETUNE_LOCALPROVIDER_PORT", "0", "SPRING_APPLICATION_JSON", providers),
            "serve",
            "--port",
            "0");
    awaitLine(serve, serveLog, "Gateway listening on", Duration.ofSeconds(90));
    Matcher gateway = Pattern.compile("Gateway listening on (http://\\S+/v1)").matcher(serveLog);
    assertTrue(gateway.find(), serveLog.toString());
    String url = gateway.group(1);
    for (String model : List.of("leak-local", "leak-loopback")) {
      for (String ticket :
          List.of("I was charged twice, refund asap", "The app crashes on login, urgent")) {
        HttpResponse<String> reply =
            post(
                url + "/chat/completions",
                secrets.get("FINETUNE_TOKEN"),
                JSON.createObjectNode()
                    .put("model", model)
                    .set(
                        "messages",
                        JSON.createArrayNode()
                            .add(
                                JSON.createObjectNode().put("role", "user").put("content", ticket)))
                    .toString());
        assertEquals(200, reply.statusCode(), reply.body());
        String traceId = reply.headers().firstValue("x-finetune-trace-id").orElseThrow();
        HttpResponse<String> feedback =
            post(
                url + "/feedback",
                secrets.get("FINETUNE_TOKEN"),
                JSON.createObjectNode()
                    .put("event_id", "fb-" + traceId)
                    .put("trace_id", traceId)
                    .put("kind", "thumbs_up")
                    .toString());
        assertEquals(201, feedback.statusCode(), feedback.body());
      }
    }
    assertEquals(401, post(url + "/chat/completions", null, "{}").statusCode());
    assertEquals(401, post(url + "/chat/completions", "ftgw-" + random(16), "{}").statusCode());

    ok(
        cli(
            "drift-check",
            "--model",
            "leak-loopback",
            "--batch",
            REPO.resolve("examples/ticket-triage/production-2024.jsonl").toString(),
            "--no-retrain",
            "--id",
            "leak-drift",
            "--wait"));
    ok(
        cli(
            "traces",
            "export",
            "leak-local",
            "--since",
            "1h",
            "--include-unlabeled",
            "--out",
            home.resolve("traces.jsonl").toString()));
    ok(cli("audit", "leak-local"));
    ok(cli("tokens", "list"));

    scanHistories(codecPort);

    stop(serve);
    stop(dev);
  }

  /**
   * Every run in the namespace, as stored and decoded; and one payload decoded by the codec
   * endpoint with the token in its path, as the Web UI calls it.
   */
  private void scanHistories(int codecPort) throws Exception {
    EncryptionCodec codec =
        EncryptionCodec.with(
            EncryptionKeys.parse(secrets.get(EncryptionKeys.VARIABLE)).orElseThrow());
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget("127.0.0.1:" + temporalPort)
                .build());
    try {
      WorkflowClient client =
          WorkflowClient.newInstance(
              stubs, WorkflowClientOptions.newBuilder().setNamespace("default").build());
      List<WorkflowExecutionInfo> executions = new ArrayList<>();
      ByteString page = ByteString.EMPTY;
      do {
        ListWorkflowExecutionsResponse r =
            stubs
                .blockingStub()
                .listWorkflowExecutions(
                    ListWorkflowExecutionsRequest.newBuilder()
                        .setNamespace("default")
                        .setNextPageToken(page)
                        .build());
        executions.addAll(r.getExecutionsList());
        page = r.getNextPageToken();
      } while (!page.isEmpty());
      Set<String> ids = new TreeSet<>();
      executions.forEach(e -> ids.add(e.getExecution().getWorkflowId()));
      assertTrue(
          ids.containsAll(List.of("leak-local-run", "leak-loopback-run", "leak-drift")),
          "every run is listed: " + ids);
      assertTrue(
          ids.stream().anyMatch(id -> id.startsWith("leak-loopback-run-train")),
          "child workflows too: " + ids);
      Payload encrypted = null;
      for (WorkflowExecutionInfo e : executions) {
        List<HistoryEvent> events =
            client
                .fetchHistory(e.getExecution().getWorkflowId(), e.getExecution().getRunId())
                .getHistory()
                .getEventsList();
        if (encrypted == null) {
          encrypted = firstEncryptedPayload(events);
        }
        scan.scanHistory(
            e.getExecution().getWorkflowId() + "/" + e.getExecution().getRunId(), events, codec);
      }
      assertTrue(encrypted != null, "payloads are encrypted in history");
      // The scan reads what a codec holder reads, and what is stored is encrypted.
      assertTrue(scan.controlDecoded() > 0, "the specs' marker is in the decoded histories");
      assertEquals(0, scan.controlStored(), "the specs' marker is in no stored history");

      // What a holder of the codec token sees through the endpoint is what the scan decoded.
      String body =
          "{\"payloads\":["
              + JsonFormat.printer().omittingInsignificantWhitespace().print(encrypted)
              + "]}";
      HttpResponse<String> decodedByEndpoint =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + codecPort
                              + "/"
                              + secrets.get("FINETUNE_CODEC_TOKEN")
                              + "/decode"))
                  .header("Content-Type", "application/json")
                  .header("X-Namespace", "default")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, decodedByEndpoint.statusCode(), decodedByEndpoint.body());
      Payload.Builder viaEndpoint = Payload.newBuilder();
      JsonFormat.parser()
          .merge(
              JSON.readTree(decodedByEndpoint.body()).get("payloads").get(0).toString(),
              viaEndpoint);
      assertEquals(codec.decode(List.of(encrypted)).get(0), viaEndpoint.build());
    } finally {
      stubs.shutdown();
    }
  }

  private static Payload firstEncryptedPayload(List<HistoryEvent> events) {
    for (HistoryEvent event : events) {
      if (event.hasWorkflowExecutionStartedEventAttributes()) {
        for (Payload p :
            event.getWorkflowExecutionStartedEventAttributes().getInput().getPayloadsList()) {
          if (EncryptionCodec.isEncrypted(p)) {
            return p;
          }
        }
      }
    }
    return null;
  }

  // --- processes -------------------------------------------------------------------------------

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private ProcessBuilder java(Map<String, String> extraEnv, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(FinetuneCli.class.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.remove("FINETUNE_DEBUG");
    env.put("FINETUNE_REPO", REPO.toString());
    env.put("FINETUNE_HOME", home.toString());
    env.put("TEMPORAL_ADDRESS", "127.0.0.1:" + temporalPort);
    // The local provider requires the provider key, and provider local sends it.
    env.put("FINETUNE_LOCALPROVIDER_APIKEYENV", PROVIDER_KEY);
    env.put("FINETUNE_CODEC_PORT", "0");
    env.putAll(secrets);
    env.putAll(extraEnv);
    return pb;
  }

  /** Starts a process whose output (stdout and stderr) is kept as log {@code name}. */
  private Process launch(String name, StringBuffer out, Map<String, String> env, String... args)
      throws IOException {
    logs.put(name, out);
    Process p = java(env, args).start();
    processes.add(p);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                  out.append(line).append('\n');
                }
              } catch (IOException ignored) {
                // the process ended
              }
            },
            "output of " + name);
    reader.setDaemon(true);
    reader.start();
    readers.put(p, reader);
    return p;
  }

  private static void awaitLine(Process p, StringBuffer out, String line, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (out.indexOf(line) < 0) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(
            "no '" + line + "' within " + within + " (exited: " + !p.isAlive() + "):\n" + out);
      }
      Thread.sleep(100);
    }
  }

  /** Stops a process as Ctrl-C would, so that it closes what it holds and logs its last lines. */
  private void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    processes.remove(p);
    Thread reader = readers.remove(p);
    if (reader != null) {
      reader.join(10_000);
    }
  }

  /** A command's output, kept under {@code log} in {@link #logs}. */
  record Result(String command, String log, int exit, String out) {}

  /** One CLI command in a process of its own, its output kept as a log. */
  private Result cli(String... args) throws Exception {
    commands++;
    String command = String.join(" ", args);
    StringBuffer out = new StringBuffer();
    String name = logs.containsKey(command) ? command + " #" + commands : command;
    Process p = launch(name, out, Map.of(), args);
    if (!p.waitFor(COMMAND_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
      stop(p);
      throw new AssertionError("finetune " + command + " hung; output so far:\n" + out);
    }
    processes.remove(p);
    readers.remove(p).join(10_000); // the output ends with the process
    return new Result(command, name, p.exitValue(), out.toString());
  }

  /**
   * The token that {@code tokens create} printed, as the secret {@code variable}: the one output
   * where it belongs (shown once, by design) is not scanned for it.
   */
  private void secretFrom(Result created, String variable) {
    Matcher token = Pattern.compile("^  (\\S{20,})$", Pattern.MULTILINE).matcher(ok(created));
    assertTrue(token.find(), created.out());
    secret(variable, token.group(1));
    exempt.computeIfAbsent(created.log(), k -> new HashSet<>()).add(variable);
  }

  /** {@code status --wait} returns at a decision or the end; run it again until it says so. */
  private Result cliUntil(Predicate<String> done, String... args) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    Result r = cli(args);
    while (!done.test(r.out()) && System.nanoTime() < deadline) {
      Thread.sleep(500);
      r = cli(args);
    }
    return r;
  }

  private static String ok(Result r) {
    assertEquals(0, r.exit(), "finetune " + r.command() + ":\n" + r.out());
    return r.out();
  }

  private HttpResponse<String> get(String url, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return answered(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }

  private HttpResponse<String> answered(HttpResponse<String> r) {
    answers.append(r.request().method()).append(' ').append(r.uri()).append(' ');
    answers.append(r.statusCode()).append(' ').append(r.headers().map()).append('\n');
    answers.append(r.body()).append('\n');
    return r;
  }

  private HttpResponse<String> post(String url, String bearer, String json) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return answered(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }
}
