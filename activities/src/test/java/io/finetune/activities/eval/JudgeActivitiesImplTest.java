package io.finetune.activities.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.eval.JudgePrompt.Choice;
import io.finetune.activities.eval.PairRule.Outcome;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.provider.RetryPolicy;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.provider.local.Chaos;
import io.finetune.provider.local.LocalProvider;
import io.finetune.provider.local.ServingLatency;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.eval.JudgeActivities;
import io.finetune.workflows.eval.JudgeActivities.Alignment;
import io.finetune.workflows.eval.JudgeActivities.AlignmentRequest;
import io.finetune.workflows.eval.JudgeActivities.JudgeRequest;
import io.finetune.workflows.eval.JudgeActivities.JudgeResult;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JudgeActivitiesImplTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String RIGHT = "{\"category\":\"billing\"}";
  private static final String WRONG = "{\"category\":\"shipping\"}";

  @TempDir Path dir;
  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private LocalProvider provider;
  private TestActivityEnvironment env;
  private ArtifactStore store;

  @AfterEach
  void tearDown() {
    if (env != null) {
      env.close();
    }
    if (provider != null) {
      provider.close();
    }
    pool.shutdownNow();
  }

  /** The activities, against the local provider whose judge has {@code positionBias}. */
  private JudgeActivities activities(double positionBias) throws Exception {
    provider =
        LocalProvider.start(
            0, dir.resolve("provider"), Chaos.NONE, ServingLatency.NONE, positionBias);
    store = new ArtifactStore(dir.resolve("store"));
    JudgeActivitiesImpl impl =
        new JudgeActivitiesImpl(
            store,
            new Providers(
                List.of(
                    new ProviderConfig("local", provider.baseUrl(), "", 100, RetryPolicy.NONE))),
            pool);
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(impl);
    return env.newActivityStub(
        JudgeActivities.class,
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofMinutes(1))
            .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
            .build());
  }

  /** A prediction file: row i answered {@code answers[i]}, expected billing. */
  private ArtifactRef predictions(List<String> answers) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < answers.size(); i++) {
      lines.add(
          JSON.createObjectNode()
              .put("input", "ticket " + i + " about my invoice")
              .<com.fasterxml.jackson.databind.node.ObjectNode>set(
                  "expected", JSON.createObjectNode().put("category", "billing"))
              .put("answer", answers.get(i))
              .toString());
    }
    return store.writeLines("predictions", "jsonl", lines);
  }

  private JudgeRequest request(
      String judge, List<String> candidate, List<String> baseline, long seed, int maxPairs) {
    return new JudgeRequest(
        "local",
        judge,
        "The right category.",
        new DatasetRef("test", "/unused", "sha", candidate.size(), candidate.size()),
        "ft:local-small:triage:1",
        "local-small",
        predictions(candidate),
        "local-large",
        predictions(baseline),
        seed,
        maxPairs);
  }

  // ---- the pair rule ---------------------------------------------------------------------

  @Test
  void aVerdictThatWinsInOneOrderOnlyIsATie() {
    // The first answer shown as A wins (A), then shown as B loses (A again): position, not merit.
    PairRule.Pair p = PairRule.combine(true, Choice.A, Choice.A);
    assertEquals(Outcome.TIE, p.outcome());
    assertTrue(p.flipped());
    // The same answer wins in both orders: A first, then B.
    assertEquals(
        new PairRule.Pair(Outcome.FIRST, false), PairRule.combine(true, Choice.A, Choice.B));
    assertEquals(
        new PairRule.Pair(Outcome.SECOND, false), PairRule.combine(false, Choice.A, Choice.B));
    // A win in one order and a tie in the other depends on the order too.
    assertEquals(
        new PairRule.Pair(Outcome.TIE, true), PairRule.combine(true, Choice.A, Choice.TIE));
    assertEquals(
        new PairRule.Pair(Outcome.TIE, false), PairRule.combine(true, Choice.TIE, Choice.TIE));
  }

  @Test
  void repliesAreReadAsVerdicts() {
    assertEquals(Choice.A, JudgePrompt.parse("A: it matches.").choice());
    assertEquals("it matches.", JudgePrompt.parse("A: it matches.").reason());
    assertEquals(Choice.B, JudgePrompt.parse("{\"verdict\": \"b\", \"reason\": \"x\"}").choice());
    assertEquals(Choice.TIE, JudgePrompt.parse("Tie - both wrong").choice());
    JudgePrompt.Verdict unreadable = JudgePrompt.parse("Both are fine, I think");
    assertEquals(Choice.TIE, unreadable.choice());
    assertTrue(unreadable.reason().startsWith("no verdict"), unreadable.reason());
  }

  // ---- Cohen's kappa -----------------------------------------------------------------------

  @Test
  void cohensKappaByHand() {
    // 10 items. Person: a a a a b b b tie tie tie. Judge: a a a b b b tie tie tie a.
    // Agreement: a 3, b 2, tie 2 = 7/10. Chance: a .4*.4 + b .3*.3 + tie .3*.3 = .34.
    // Kappa = (.7 - .34) / (1 - .34) = .36 / .66 = 0.5454...
    List<String> person = List.of("a", "a", "a", "a", "b", "b", "b", "tie", "tie", "tie");
    List<String> judge = List.of("a", "a", "a", "b", "b", "b", "tie", "tie", "tie", "a");
    List<String> classes = List.of("a", "tie", "b");
    assertEquals(0.7, CohensKappa.agreement(person, judge), 1e-12);
    assertEquals(0.36 / 0.66, CohensKappa.kappa(person, judge, classes), 1e-12);
    assertEquals(1.0, CohensKappa.kappa(person, person, classes), 1e-12);
    // Always the same class on both sides: no chance-corrected information, but full agreement.
    assertEquals(1.0, CohensKappa.kappa(List.of("a", "a"), List.of("a", "a"), classes), 1e-12);
  }

  // ---- judging through the local provider --------------------------------------------------

  @Test
  void anUnbiasedJudgeCountsWinsTiesAndLossesAndWritesItsReasons() throws Exception {
    JudgeActivities a = activities(0);
    // Candidate right on 0-5, both right on 6-7 (identical), candidate wrong on 8-9.
    List<String> candidate = new ArrayList<>();
    List<String> baseline = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      candidate.add(i < 8 ? RIGHT : WRONG);
      baseline.add(i < 6 ? WRONG : RIGHT);
    }
    JudgeResult r = a.judge(request("local-judge", candidate, baseline, 7, 100));

    assertEquals(10, r.pairs());
    assertEquals(6, r.wins());
    assertEquals(2, r.ties());
    assertEquals(2, r.losses());
    assertEquals(0, r.flipped());
    assertEquals(0, r.skipped());
    List<String> lines = Files.readAllLines(Path.of(r.verdicts().path()));
    assertEquals(10, lines.size());
    JsonNode first = JSON.readTree(lines.get(0));
    assertEquals("candidate", first.get("verdict").asText());
    assertEquals(2, first.get("judgments").size(), "judged in both orders");
    assertTrue(
        first.get("judgments").get(0).get("reason").asText().contains("matches the reference"));
    assertTrue(JSON.readTree(lines.get(6)).get("reason").asText().contains("identical"));
  }

  @Test
  void aJudgeBiasedToPositionAFlipsAndItsFlipsAreTies() throws Exception {
    JudgeActivities a = activities(0.5);
    List<String> candidate = new ArrayList<>();
    List<String> baseline = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      candidate.add(RIGHT);
      baseline.add(WRONG);
    }
    JudgeResult r = a.judge(request("local-judge", candidate, baseline, 3, 1000));

    // Unbiased, the candidate wins every pair. Half of the judgments answer "A" whatever: when
    // the one showing the baseline as A is such a judgment, the pair flips.
    assertEquals(60, r.pairs());
    assertTrue(r.flipped() > 5 && r.flipped() < 40, "flipped " + r.flipped());
    assertEquals(r.flipped(), r.ties(), "every flip is a tie, and only flips are");
    assertEquals(0, r.losses(), "a position bias alone never makes the baseline win");
    assertEquals(60 - r.flipped(), r.wins());
    assertEquals((double) r.flipped() / 60, r.flipRate(), 1e-12);

    // The same seed asks the same questions: the same verdicts.
    JudgeResult again = a.judge(request("local-judge", candidate, baseline, 3, 1000));
    assertEquals(r.verdicts().sha256(), again.verdicts().sha256());
  }

  @Test
  void aJudgeAlwaysAnsweringAFlipsEveryPairThatDiffers() throws Exception {
    JudgeActivities a = activities(1.0);
    JudgeResult r =
        a.judge(
            request(
                "local-judge", List.of(RIGHT, RIGHT, WRONG), List.of(WRONG, WRONG, WRONG), 1, 10));
    assertEquals(2, r.flipped());
    assertEquals(3, r.ties());
    assertEquals(2.0 / 3, r.flipRate(), 1e-12);
  }

  @Test
  void theBudgetCapsThePairsJudgedAndCountsTheRest() throws Exception {
    JudgeActivities a = activities(0);
    List<String> five = List.of(RIGHT, RIGHT, RIGHT, RIGHT, RIGHT);
    List<String> wrong = List.of(WRONG, WRONG, WRONG, WRONG, WRONG);
    JudgeResult r = a.judge(request("local-judge", five, wrong, 1, 2));
    assertEquals(2, r.pairs());
    assertEquals(3, r.skipped());
    assertEquals(2, r.wins());
  }

  @Test
  void aJudgeOfTheCandidatesFamilyIsRefused() throws Exception {
    JudgeActivities a = activities(0);
    ActivityFailure e =
        assertThrows(
            ActivityFailure.class,
            () -> a.judge(request("local-small", List.of(RIGHT), List.of(WRONG), 1, 10)));
    ApplicationFailure cause = (ApplicationFailure) e.getCause();
    assertEquals(Failures.INVALID_INPUT, cause.getType());
    assertTrue(cause.isNonRetryable());
    assertTrue(
        cause.getOriginalMessage().contains("same model family"), cause.getOriginalMessage());
  }

  @Test
  void alignmentMeasuresAgreementAndKappaWithPeople() throws Exception {
    JudgeActivities a = activities(0);
    // 30 pairs: the judge (closer to the reference) agrees with people on the first 24.
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String human = i < 24 ? (i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "tie") : "a";
      String x = human.equals("b") ? WRONG : RIGHT;
      String y = human.equals("a") ? WRONG : RIGHT;
      if (i >= 24) {
        x = WRONG; // people said a, but a is wrong and b is right: the judge says b
        y = RIGHT;
      }
      lines.add(
          JSON.createObjectNode()
              .put("input", "ticket " + i)
              .put("reference", RIGHT)
              .put("a", x)
              .put("b", y)
              .put("human", human)
              .toString());
    }
    Path file = Files.write(dir.resolve("human.jsonl"), lines);

    Alignment r =
        a.alignment(new AlignmentRequest("local", "local-judge", null, file.toString(), 5));

    assertEquals(30, r.pairs());
    assertEquals(0.8, r.agreement(), 1e-12);
    // People: a 14, b 8, tie 8; judge: a 8, b 14, tie 8. Chance: (14*8 + 8*14 + 8*8) / 900.
    double chance = (14 * 8 + 8 * 14 + 8 * 8) / 900.0;
    assertEquals((0.8 - chance) / (1 - chance), r.kappa(), 1e-12);
    assertFalse(Files.readAllLines(Path.of(r.verdicts().path())).isEmpty());
  }

  @Test
  void anAlignmentRowWithoutAHumanVerdictIsRefusedByLine() throws Exception {
    JudgeActivities a = activities(0);
    Path file =
        Files.writeString(
            dir.resolve("human.jsonl"),
            "{\"input\":\"x\",\"a\":\"1\",\"b\":\"2\",\"human\":\"c\"}\n");
    ActivityFailure e =
        assertThrows(
            ActivityFailure.class,
            () ->
                a.alignment(
                    new AlignmentRequest("local", "local-judge", null, file.toString(), 5)));
    assertTrue(
        e.getCause().getMessage().contains("human.jsonl:1: field 'human' must be"),
        e.getCause().getMessage());
  }
}
