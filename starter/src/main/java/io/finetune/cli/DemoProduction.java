package io.finetune.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.fields.FieldValues;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.gateway.ApiTokens;
import io.finetune.gateway.GatewayServer;
import io.finetune.serve.GatewayApplication;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.registry.RegistryActivities.PromoteRequest;
import io.finetune.workflows.rollout.Rollout;
import io.finetune.workflows.rollout.RolloutInput;
import io.finetune.workflows.rollout.RolloutResult;
import io.finetune.workflows.rollout.RolloutStatus;
import io.finetune.workflows.spec.FieldType;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.PipelineSpec.RolloutPolicy;
import io.finetune.workflows.spec.Size;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The demo's production step: the promoted model behind the gateway, simulated users whose feedback
 * follows the answers (a thumbs down for a wrong one), and two canaries with a short window: the
 * untuned small base model, which users dislike and the slow eval rolls back, and a rebuild of the
 * model in production, which does no worse and rolls out.
 */
final class DemoProduction {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType JSON_TYPE = MediaType.get("application/json");

  /** Short enough for a demo; every call of a canary's traffic falls inside it. */
  static final RolloutPolicy POLICY =
      new RolloutPolicy(0.3, 20, 30, 0.01, RolloutPolicy.ROLLBACK, 0);

  /** Calls per canary: about 60 reach the canary, well over {@code POLICY.minEvents()}. */
  static final int CALLS = 200;

  private final WorkflowClient client;
  private final Path home;
  private final PipelineSpec spec;
  private final PrintWriter out;
  private final String stamp;
  private final OkHttpClient http =
      new OkHttpClient.Builder().readTimeout(Duration.ofSeconds(60)).build();

  DemoProduction(
      WorkflowClient client, Path home, PipelineSpec spec, PrintWriter out, String stamp) {
    this.client = client;
    this.home = home;
    this.spec = spec;
    this.out = out;
    this.stamp = stamp;
  }

  /** One labeled example a simulated user sends. */
  private record Example(String input, JsonNode expected) {}

  /** Runs both canaries; their results, the worse candidate's first. */
  List<RolloutResult> run() {
    try (ConfigurableApplicationContext gateway =
        GatewayApplication.serve(
            Map.of(
                "finetune.home",
                home.toAbsolutePath().toString(),
                "finetune.gateway.port",
                0,
                // Users call a steady provider: --chaos is the worker's, for training and evals.
                "finetune.local-provider.chaos.rate",
                0,
                "logging.level.root",
                "WARN"))) {
      GatewayServer server = gateway.getBean(GatewayServer.class);
      String token = gateway.getBean(ApiTokens.class).create("demo-" + stamp).token();
      RegistryActivitiesImpl registry = gateway.getBean(RegistryActivitiesImpl.class);
      ModelVersion serving = registry.current(spec.name());
      out.println(
          "  gateway on "
              + server.baseUrl()
              + ": '"
              + spec.name()
              + "' is v"
              + serving.version()
              + " ("
              + serving.modelId()
              + ")");
      List<Example> examples = examples(serving);
      String worse = spec.model().baseModel(Size.SMALL);
      List<RolloutResult> results = new ArrayList<>();
      results.add(
          canary(
              registry,
              serving,
              worse,
              "the untuned " + worse + " (users should dislike it)",
              examples,
              server,
              token,
              1));
      ModelVersion now = registry.current(spec.name());
      results.add(
          canary(
              registry,
              now,
              now.modelId(),
              "a rebuild of v" + now.version() + " (" + now.modelId() + ")",
              examples,
              server,
              token,
              2));
      return results;
    }
  }

  private RolloutResult canary(
      RegistryActivitiesImpl registry,
      ModelVersion serving,
      String modelId,
      String what,
      List<Example> examples,
      GatewayServer server,
      String token,
      int round) {
    ModelVersion candidate =
        registry.promote(
            new PromoteRequest(
                spec.name(),
                "demo-canary-" + stamp + "-" + round,
                modelId,
                serving.provider(),
                serving.size(),
                Map.of(),
                serving.spec(),
                serving.dataset(),
                "demo-bot",
                false));
    out.println();
    out.println(
        "  canary "
            + round
            + ": v"
            + candidate.version()
            + ", "
            + what
            + ", serves "
            + Math.round(POLICY.canaryShare() * 100)
            + "% of the calls for "
            + POLICY.windowSeconds()
            + "s");
    String id = Rollout.workflowId(spec.name());
    Rollout rollout =
        client.newWorkflowStub(
            Rollout.class, TemporalOptions.workflowOptions(id, "Demo: canary of " + spec.name()));
    WorkflowClient.start(
        rollout::run,
        new RolloutInput(
            spec.name(),
            candidate.version(),
            serving.version(),
            POLICY,
            null,
            null,
            List.of(),
            "demo-bot"));
    awaitCanary(rollout);
    int[] feedback = traffic(examples, server, token, round);
    out.printf(
        "  %d simulated users called '%s' and gave %d thumbs down, %d thumbs up%n",
        CALLS, spec.name(), feedback[0], feedback[1]);
    out.println("  waiting for the window to end and the slow eval...");
    RolloutResult result = WorkflowStub.fromTyped(rollout).getResult(RolloutResult.class);
    if (result.slowEval() != null) {
      Printer.slowEval(result.slowEval(), out);
    }
    out.println(
        "  "
            + result.outcome()
            + ": v"
            + result.serving()
            + " serves all traffic ("
            + result.decidedBy()
            + ")");
    return result;
  }

  private void awaitCanary(Rollout rollout) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        RolloutStatus s = rollout.status();
        if (s.canaryFromMillis() > 0) {
          return;
        }
      } catch (RuntimeException notYet) {
        // the first workflow task has not run yet
      }
      sleep(100);
    }
    throw new IllegalStateException("The canary did not start within a minute");
  }

  /**
   * {@link #CALLS} users, each calling once with a seeded example and giving a thumbs down when the
   * answer is wrong, a thumbs up when it is right. Returns {down, up}.
   */
  private int[] traffic(List<Example> examples, GatewayServer server, String token, int round) {
    Random random = new Random(round);
    int down = 0;
    int up = 0;
    for (int user = 0; user < CALLS; user++) {
      Example e = examples.get(random.nextInt(examples.size()));
      ObjectNode request = JSON.createObjectNode();
      request.put("model", spec.name());
      request.put("user", "demo-user-" + round + "-" + user);
      var messages = request.putArray("messages");
      if (spec.prompt() != null) {
        messages.addObject().put("role", "system").put("content", spec.prompt());
      }
      messages.addObject().put("role", "user").put("content", e.input());
      JsonNode answer = post(server.baseUrl() + "/chat/completions", request, token);
      String traceId = answer.path("_trace").asText();
      boolean right = right(e.expected(), answer.at("/choices/0/message/content").asText(""));
      ObjectNode event = JSON.createObjectNode();
      event.put("event_id", "demo-" + stamp + "-" + round + "-" + user);
      event.put("trace_id", traceId);
      event.put("kind", right ? "thumbs_up" : "thumbs_down");
      post(server.baseUrl() + "/feedback", event, token);
      if (right) {
        up++;
      } else {
        down++;
      }
    }
    return new int[] {down, up};
  }

  /** Whether {@code answer} is what the example expects, field by field as its type compares. */
  private boolean right(JsonNode expected, String answer) {
    if (spec.textTask() || !expected.isObject()) {
      return FieldValues.normalizedText(expected.asText())
          .equals(FieldValues.normalizedText(answer));
    }
    JsonNode got;
    try {
      got = JSON.readTree(answer);
    } catch (IOException e) {
      return false;
    }
    if (got == null || !got.isObject()) {
      return false;
    }
    for (String f : spec.outputFields()) {
      FieldType type = spec.fieldType(f) == null ? FieldType.TEXT : spec.fieldType(f);
      if (!FieldValues.same(type, expected.path(f).asText(), got.path(f).asText())) {
        return false;
      }
    }
    return true;
  }

  /** The labeled rows the model in production was trained from: what users ask. */
  private static List<Example> examples(ModelVersion serving) {
    List<Example> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of(serving.dataset().path()))) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode row = JSON.readTree(line);
        if (row.hasNonNull("output") && row.path("input").isTextual()) {
          out.add(new Example(row.get("input").asText(), row.get("output")));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (out.isEmpty()) {
      throw new IllegalStateException(serving.dataset().path() + " has no labeled rows");
    }
    return out;
  }

  /** POSTs {@code body}; the answer's JSON, with the trace id header as {@code _trace}. */
  private JsonNode post(String url, ObjectNode body, String token) {
    Request request =
        new Request.Builder()
            .url(url)
            .header("Authorization", "Bearer " + token)
            .post(RequestBody.create(body.toString(), JSON_TYPE))
            .build();
    try (Response response = http.newCall(request).execute()) {
      String text = response.body().string();
      if (!response.isSuccessful()) {
        throw new IllegalStateException(url + " answered " + response.code() + ": " + text);
      }
      ObjectNode answer = (ObjectNode) JSON.readTree(text);
      String trace = response.header(GatewayServer.TRACE_HEADER);
      if (trace != null) {
        answer.put("_trace", trace);
      }
      return answer;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
