package io.finetune.activities.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.eval.JudgeActivitiesImpl;
import io.finetune.activities.eval.JudgeActivitiesImpl.Item;
import io.finetune.activities.eval.JudgeActivitiesImpl.Tally;
import io.finetune.activities.provider.ChatMessage;
import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.registry.Deployments;
import io.finetune.activities.registry.Deployments.AuditEntry;
import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import io.finetune.workflows.rollout.RolloutActivities;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import javax.sql.DataSource;

/**
 * The rollout's side effects: the traffic split ({@link Deployments}) and the production outcomes
 * the gateway recorded (tables {@code traces} and {@code feedback}).
 */
public class RolloutActivitiesImpl implements RolloutActivities {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final DataSource db;
  private final Deployments deployments;
  private final RegistryActivitiesImpl registry;
  private final Providers providers;
  private final JudgeActivitiesImpl judge;

  public RolloutActivitiesImpl(
      DataSource db,
      RegistryActivitiesImpl registry,
      Providers providers,
      JudgeActivitiesImpl judge) {
    this.db = db;
    this.deployments = new Deployments(db);
    this.registry = registry;
    this.providers = providers;
    this.judge = judge;
  }

  @Override
  public Deployment startCanary(CanaryRequest r) {
    if (!(r.share() > 0 && r.share() < 1)) {
      throw Failures.invalidInput("rollout.canaryShare must be between 0 and 1, was " + r.share());
    }
    version(r.name(), r.candidate());
    version(r.name(), r.stable());
    return deployments.startCanary(
        r.key(), r.name(), r.candidate(), r.stable(), r.share(), r.actor(), r.actorIdentity());
  }

  @Override
  public SlowEval slowEval(SlowEvalRequest r) {
    SlowEval eval =
        SlowEvalVerdict.decide(
            outcomes(r.name(), r.candidate(), r.fromMillis(), r.untilMillis()),
            outcomes(r.name(), r.stable(), r.fromMillis(), r.untilMillis()),
            r.judgment(),
            r.minEvents(),
            r.maxPValue());
    deployments.audit(
        new AuditEntry(
            r.key(),
            r.name(),
            System.currentTimeMillis(),
            "slow-eval",
            r.stable(),
            r.candidate(),
            null,
            "slow eval",
            eval.verdict() + ": " + eval.reason(),
            Deployments.json(eval)));
    return eval;
  }

  @Override
  public Completion complete(CompleteRequest r) {
    return deployments.complete(
        r.key(), r.name(), r.candidate(), r.rollOut(), r.actor(), r.reason(), r.slowEval());
  }

  @Override
  public OnlineJudgment judgeCanary(OnlineJudgeRequest r) {
    ModelVersion stable = version(r.name(), r.stable());
    ProviderClient stableClient = providers.client(stable.provider());
    List<Item> items = new ArrayList<>();
    for (Sampled t : sample(r)) {
      // The stable version answers the same (redacted) input, so both answers meet the same
      // question; the canary's is the one it gave in production.
      String stableAnswer = stableClient.complete(stable.modelId(), t.messages(), null).text();
      items.add(new Item(t.question(), null, t.output(), stableAnswer == null ? "" : stableAnswer));
    }
    Tally tally = judge.compare(r.provider(), r.judgeModel(), r.rubric(), items, r.seed());
    return new OnlineJudgment(
        r.judgeModel(), tally.judged(), tally.wins(), tally.ties(), tally.losses());
  }

  /** A canary trace chosen for the online judge. */
  private record Sampled(List<ChatMessage> messages, String question, String output) {}

  /**
   * A seeded share of the canary's answered traces in the window, oldest first, at most {@code
   * maxPairs}: whether a trace is drawn depends on its id and the seed only, so a retry draws the
   * same ones.
   */
  private List<Sampled> sample(OnlineJudgeRequest r) {
    List<Sampled> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, input, output FROM traces WHERE model_name = ? AND model_version = ?"
                    + " AND created_at >= ? AND created_at < ? AND status = 'ok'"
                    + " ORDER BY created_at, id")) {
      s.setString(1, r.name());
      s.setInt(2, r.candidate());
      s.setLong(3, r.fromMillis());
      s.setLong(4, r.untilMillis());
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next() && out.size() < r.maxPairs()) {
          String id = rs.getString("id");
          if (new SplittableRandom(r.seed() ^ id.hashCode()).nextDouble() >= r.share()) {
            continue;
          }
          List<ChatMessage> messages = messages(rs.getString("input"));
          String question =
              String.join(
                  "\n",
                  messages.stream()
                      .filter(m -> ChatMessage.USER.equals(m.role()))
                      .map(ChatMessage::content)
                      .toList());
          out.add(new Sampled(messages, question, rs.getString("output")));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the traces of " + r.name() + ": " + e, e);
    }
    return out;
  }

  private static List<ChatMessage> messages(String json) {
    List<ChatMessage> out = new ArrayList<>();
    try {
      for (JsonNode m : JSON.readTree(json)) {
        JsonNode content = m.path("content");
        out.add(
            new ChatMessage(
                m.path("role").asText("user"),
                content.isTextual() ? content.asText() : content.toString()));
      }
    } catch (IOException e) {
      throw new IllegalStateException("A trace's input is not JSON: " + e.getMessage(), e);
    }
    return out;
  }

  /** Version {@code version}'s traces in the window and their outcomes. */
  Outcomes outcomes(String name, int version, long from, long until) {
    try (Connection c = db.getConnection()) {
      long traces;
      long failed;
      Set<String> bad = new HashSet<>();
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT id, status FROM traces WHERE model_name = ? AND model_version = ?"
                  + " AND created_at >= ? AND created_at < ?")) {
        bind(s, name, version, from, until);
        traces = 0;
        failed = 0;
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            traces++;
            if (!"ok".equals(rs.getString("status"))) {
              failed++;
              bad.add(rs.getString("id"));
            }
          }
        }
      }
      long up = 0;
      long down = 0;
      long regenerated = 0;
      long corrected = 0;
      long lost = 0;
      long events = failed;
      try (PreparedStatement s =
          c.prepareStatement(
              "SELECT f.trace_id, f.kind, f.value_text FROM feedback f JOIN traces t"
                  + " ON t.id = f.trace_id WHERE t.model_name = ? AND t.model_version = ?"
                  + " AND t.created_at >= ? AND t.created_at < ?")) {
        bind(s, name, version, from, until);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            String trace = rs.getString(1);
            events++;
            switch (rs.getString(2)) {
              case "thumbs_up" -> up++;
              case "thumbs_down" -> {
                down++;
                bad.add(trace);
              }
              case "regenerated" -> {
                regenerated++;
                bad.add(trace);
              }
              case "correction" -> {
                corrected++;
                bad.add(trace);
              }
              case "side_by_side" -> {
                if (!trace.equals(rs.getString(3))) {
                  lost++;
                  bad.add(trace);
                }
              }
              default -> events--;
            }
          }
        }
      }
      return new Outcomes(
          version, traces, failed, up, down, regenerated, corrected, lost, bad.size(), events);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the outcomes of " + name + ": " + e, e);
    }
  }

  private static void bind(PreparedStatement s, String name, int version, long from, long until)
      throws SQLException {
    s.setString(1, name);
    s.setInt(2, version);
    s.setLong(3, from);
    s.setLong(4, until);
  }

  private ModelVersion version(String name, int version) {
    ModelVersion v = registry.find(name, version);
    if (v == null) {
      throw Failures.invalidInput(name + " has no version " + version);
    }
    return v;
  }
}
