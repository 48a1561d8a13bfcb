package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.finetune.activities.provider.Providers;
import io.finetune.activities.spec.SpecLoader;
import io.finetune.workflows.TaskQueues;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.finetune.workflows.pipeline.FineTunePipeline;
import io.finetune.workflows.pipeline.Outcome;
import io.finetune.workflows.pipeline.PipelineInput;
import io.finetune.workflows.pipeline.PipelineStatus;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.TargetReason;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The worker's Prometheus endpoint: after a short pipeline run (import, split, a prompt baseline
 * good enough to end it) and one refused provider request, a scrape over HTTP on 127.0.0.1 shows
 * the Temporal SDK's metrics, our provider request counter, latency and errors, and the stage
 * durations; nothing answers on the machine's other addresses.
 */
@SpringBootTest(
    properties = {
      "spring.temporal.test-server.enabled=true",
      "spring.temporal.connection.target=local",
      "finetune.metrics.port=0",
      "finetune.home=${java.io.tmpdir}/finetune-metrics-test-${random.uuid}"
    })
@DirtiesContext
class MetricsEndpointTest {
  private static final Path EXAMPLE = Path.of("../examples/ticket-triage");
  // A sample line of the Prometheus text format: name, optional labels, value, optional timestamp.
  private static final Pattern SAMPLE =
      Pattern.compile(
          "[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})? [-+]?(\\d[\\d.eE+-]*|NaN|Inf)( -?\\d+)?");

  @Autowired WorkflowClient client;
  @Autowired TestWorkflowEnvironment testServer;
  @Autowired MetricsServer metricsServer;
  @Autowired Providers providers;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void scrapeShowsTemporalAndProviderMetricsOnLoopbackOnly() throws Exception {
    FinetuneSearchAttributes.definitions().forEach(testServer::registerSearchAttribute);
    PipelineSpec example = SpecLoader.load(EXAMPLE.resolve("spec.yaml"));
    PipelineSpec easy =
        example.withTarget(new PipelineSpec.Target("exact_match", 0.3, TargetReason.QUALITY));
    FineTunePipeline pipeline =
        client.newWorkflowStub(
            FineTunePipeline.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("metrics")
                .setTaskQueue(TaskQueues.FINE_TUNE)
                .build());
    PipelineStatus done = pipeline.run(new PipelineInput(easy, "test"));
    assertEquals(Outcome.PROMPT_SUFFICIENT, done.outcome(), done.outcomeReason());
    // A request the provider refuses: counted as an error.
    var local = providers.client("local");
    assertThrows(
        ApplicationFailure.class,
        () -> local.get("fine_tuning/jobs/{id}", local.url("fine_tuning/jobs/ftjob-missing")));

    // The SDK's metrics reach the registry when its scope reports (every 10 s).
    String text = scrapeUntil("temporal_workflow_completed_total", "baseline");

    for (String line : text.split("\n", -1)) {
      assertTrue(
          line.isEmpty() || line.startsWith("#") || SAMPLE.matcher(line).matches(),
          "not a Prometheus sample line: " + line);
    }
    // The Temporal SDK's own metrics, from the worker and the client.
    assertTrue(
        value(text, "temporal_workflow_completed_total", "workflow_type=\"FineTunePipeline\"") >= 1,
        text);
    assertTrue(value(text, "temporal_request_total", "operation=\"StartWorkflowExecution\"") >= 1);
    assertEquals(
        1,
        value(
            text, "temporal_activity_execution_latency_seconds_count", "activity_type=\"Split\""));
    // Ours: provider requests by endpoint template, status class and outcome, their latency.
    String chatOk =
        "endpoint=\"chat/completions\",method=\"POST\",outcome=\"success\",provider=\"local\","
            + "status=\"2xx\"";
    double chats = value(text, "finetune_provider_requests_total", chatOk);
    assertTrue(chats > 10, "chat requests " + chats);
    assertEquals(
        chats, value(text, "finetune_provider_request_duration_seconds_count", chatOk), text);
    assertTrue(value(text, "finetune_provider_request_duration_seconds_sum", chatOk) > 0);
    assertTrue(value(text, "finetune_provider_request_duration_seconds_bucket", chatOk) > 0);
    assertEquals(
        1,
        value(
            text,
            "finetune_provider_errors_total",
            "endpoint=\"fine_tuning/jobs/{id}\",method=\"GET\",outcome=\"rejected\","
                + "provider=\"local\",status=\"4xx\""));
    assertTrue(find(text, "finetune_provider_errors_total", chatOk).isEmpty());
    // The local provider's gate: how many requests it lets be in flight.
    assertTrue(value(text, "finetune_provider_concurrency_limit", "provider=\"local\"") >= 1, text);
    // Stage durations, from the workflow's metrics scope.
    for (String stage : List.of("importing", "splitting", "baseline")) {
      assertEquals(
          1,
          value(
              text,
              "finetune_pipeline_stage_duration_seconds_count",
              "stage=\"" + stage + "\"",
              "workflow_type=\"FineTunePipeline\""),
          stage);
    }
    // JVM metrics too.
    assertTrue(value(text, "jvm_memory_used_bytes", "id=\"Metaspace\"") > 0);

    assertLoopbackOnly(metricsServer.address());
  }

  private String scrapeUntil(String... needles) throws Exception {
    long deadline = System.nanoTime() + 40_000_000_000L;
    while (true) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(metricsServer.uri()).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals(
          "text/plain; version=0.0.4; charset=utf-8",
          r.headers().firstValue("Content-Type").orElse(""));
      String text = r.body();
      if (Arrays.stream(needles).allMatch(text::contains)) {
        return text;
      }
      if (System.nanoTime() > deadline) {
        fail("no " + Arrays.toString(needles) + " in\n" + text);
      }
      Thread.sleep(500);
    }
  }

  /** The value of the one sample of {@code name} having every label given. */
  private static double value(String text, String name, String... labels) {
    List<String> lines = find(text, name, labels);
    assertEquals(1, lines.size(), name + " " + Arrays.toString(labels) + ": " + lines);
    String line = lines.get(0);
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }

  private static List<String> find(String text, String name, String... labels) {
    return Arrays.stream(text.split("\n"))
        .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .filter(l -> Arrays.stream(labels).allMatch(l::contains))
        // Histogram buckets: the largest (+Inf) one counts every request.
        .filter(l -> !l.contains("le=\"") || l.contains("le=\"+Inf\""))
        .toList();
  }

  /** Bound to 127.0.0.1; a connection to any other address of this machine is refused. */
  private static void assertLoopbackOnly(InetSocketAddress bound) throws IOException {
    assertEquals("127.0.0.1", bound.getAddress().getHostAddress());
    for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
      if (!nic.isUp()) {
        continue;
      }
      for (InetAddress address : nic.inetAddresses().toList()) {
        if (address.isLoopbackAddress() || address.isLinkLocalAddress()) {
          continue;
        }
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(address, bound.getPort()), 2000);
          fail("the metrics endpoint answers on " + address);
        } catch (ConnectException | SocketTimeoutException expected) {
          // refused (or dropped): nothing listens there
        }
      }
    }
  }
}
