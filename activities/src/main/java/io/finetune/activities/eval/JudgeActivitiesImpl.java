package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.eval.JudgePrompt.Verdict;
import io.finetune.activities.eval.PairRule.Outcome;
import io.finetune.activities.eval.PairRule.Pair;
import io.finetune.activities.provider.CallScope;
import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.eval.JudgeActivities;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Pairwise judging through a provider's chat model ({@link JudgePrompt} says what it is asked).
 * Each pair is judged twice, in both orders ({@link PairRule}); the first order comes from the
 * request's seed, so the same request asks the same questions. Pairs whose answers are identical
 * are ties without asking.
 */
public class JudgeActivitiesImpl implements JudgeActivities {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BATCH = 16;
  private static final List<String> HUMAN = List.of("a", "tie", "b");

  private final ArtifactStore store;
  private final Providers providers;
  private final ExecutorService inference;

  /**
   * @param inference bounds how many requests go to providers at once (shared with the evals)
   */
  public JudgeActivitiesImpl(ArtifactStore store, Providers providers, ExecutorService inference) {
    this.store = store;
    this.providers = providers;
    this.inference = inference;
  }

  /** Two answers to one input, and the reference when there is one. */
  public record Item(String input, String reference, String first, String second) {}

  /** How often the first answer of a pair was preferred (wins), the second (losses), neither. */
  public record Tally(int judged, int wins, int ties, int losses) {}

  /** An item's verdict, with both judgments (null when not asked: identical answers). */
  record Judged(Item item, boolean firstShownFirst, Verdict one, Verdict two, Pair pair) {}

  @Override
  public JudgeResult judge(JudgeRequest r) {
    if (JudgeActivities.sameFamily(r.judgeModel(), r.candidateBaseModel(), r.candidateModel())) {
      throw Failures.invalidInput(
          String.format(
              "The judge %s is of the same model family as the candidate %s (base %s): judges"
                  + " prefer their own answers. Pick a judge of another family (judge.model).",
              r.judgeModel(), r.candidateModel(), r.candidateBaseModel()));
    }
    List<JsonNode> mine = predictions(r.candidatePredictions());
    List<JsonNode> theirs = predictions(r.baselinePredictions());
    if (mine.size() != theirs.size()) {
      throw Failures.invalidInput(
          String.format(
              "The candidate's predictions (%d rows) and the baseline's (%d) are not of the same"
                  + " rows",
              mine.size(), theirs.size()));
    }
    int budget = Math.max(0, Math.min(r.maxPairs(), mine.size()));
    List<Item> items = new ArrayList<>(budget);
    for (int i = 0; i < budget; i++) {
      JsonNode m = mine.get(i);
      JsonNode t = theirs.get(i);
      if (!m.path("input").asText().equals(t.path("input").asText())) {
        throw Failures.invalidInput(
            "Row "
                + (i + 1)
                + " of the candidate's and the baseline's predictions differ in input");
      }
      items.add(
          new Item(
              m.path("input").asText(),
              reference(m.get("expected")),
              m.path("answer").asText(""),
              t.path("answer").asText("")));
    }
    List<Judged> judged = judgeAll(r.provider(), r.judgeModel(), r.rubric(), items, r.seed());
    int wins = 0;
    int ties = 0;
    int losses = 0;
    int flipped = 0;
    for (Judged j : judged) {
      switch (j.pair().outcome()) {
        case FIRST -> wins++;
        case TIE -> ties++;
        case SECOND -> losses++;
      }
      flipped += j.pair().flipped() ? 1 : 0;
    }
    ArtifactRef verdicts = write(judged, "candidate", "baseline");
    return new JudgeResult(
        r.judgeModel(),
        r.candidateModel(),
        r.baselineModel(),
        judged.size(),
        wins,
        ties,
        losses,
        flipped,
        mine.size() - budget,
        verdicts);
  }

  /**
   * Each item's first answer compared with its second, as {@link #judge} does (both orders, the
   * order drawn from {@code seed}, resumed after a retry): for judging production answers, which
   * have no predictions file. Call from an activity.
   */
  public Tally compare(String provider, String model, String rubric, List<Item> items, long seed) {
    int wins = 0;
    int ties = 0;
    int losses = 0;
    for (Judged j : judgeAll(provider, model, rubric, items, seed)) {
      switch (j.pair().outcome()) {
        case FIRST -> wins++;
        case TIE -> ties++;
        case SECOND -> losses++;
      }
    }
    return new Tally(items.size(), wins, ties, losses);
  }

  @Override
  public Alignment alignment(AlignmentRequest r) {
    Path file = Path.of(r.path());
    if (!Files.isRegularFile(file)) {
      throw Failures.invalidInput("judge.alignment: file not found: " + file);
    }
    List<Item> items = new ArrayList<>();
    List<String> human = new ArrayList<>();
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).isBlank()) {
          continue;
        }
        String at = file + ":" + (i + 1);
        JsonNode n;
        try {
          n = JSON.readTree(lines.get(i));
        } catch (IOException e) {
          throw Failures.invalidInput(at + ": not a JSON object");
        }
        for (String field : List.of("input", "a", "b", "human")) {
          if (!n.path(field).isTextual()) {
            throw Failures.invalidInput(at + ": field '" + field + "' is required (a string)");
          }
        }
        String h = n.get("human").asText().trim().toLowerCase(java.util.Locale.ROOT);
        if (!HUMAN.contains(h)) {
          throw Failures.invalidInput(
              at + ": field 'human' must be \"a\", \"b\" or \"tie\", was \"" + h + "\"");
        }
        items.add(
            new Item(
                n.get("input").asText(),
                reference(n.get("reference")),
                n.get("a").asText(),
                n.get("b").asText()));
        human.add(h);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Judged> judged = judgeAll(r.provider(), r.judgeModel(), r.rubric(), items, r.seed());
    List<String> judge =
        judged.stream()
            .map(
                j ->
                    switch (j.pair().outcome()) {
                      case FIRST -> "a";
                      case TIE -> "tie";
                      case SECOND -> "b";
                    })
            .toList();
    ArtifactRef verdicts = write(judged, "a", "b");
    return new Alignment(
        r.judgeModel(),
        items.size(),
        CohensKappa.agreement(human, judge),
        CohensKappa.kappa(human, judge, HUMAN),
        verdicts);
  }

  /**
   * Judges every item in both orders, batch by batch. Each finished batch goes to the execution's
   * work file before the heartbeat counts it, so a retry resumes after the last counted batch
   * instead of asking the judge (and paying) again.
   */
  private List<Judged> judgeAll(
      String provider, String model, String rubric, List<Item> items, long seed) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    ProviderClient client = providers.client(provider);
    String system = JudgePrompt.system(rubric);
    // One draw per item, in order: the same seed shows the same answers first.
    SplittableRandom order = new SplittableRandom(seed);
    boolean[] firstShownFirst = new boolean[items.size()];
    for (int i = 0; i < items.size(); i++) {
      firstShownFirst[i] = order.nextBoolean();
    }
    WorkFile work = WorkFile.of(store, "judge", ctx.getInfo());
    List<Judged> out = new ArrayList<>(items.size());
    for (String line : work.resume(WorkFile.lastHeartbeat(ctx))) {
      out.add(fromLine(items.get(out.size()), line));
    }
    for (int start = out.size(); start < items.size(); start += BATCH) {
      int end = Math.min(items.size(), start + BATCH);
      CallScope calls = new CallScope();
      List<Future<Verdict>> pending = new ArrayList<>();
      try {
        for (int i = start; i < end; i++) {
          Item it = items.get(i);
          if (identical(it)) {
            continue;
          }
          String x = firstShownFirst[i] ? it.first() : it.second();
          String y = firstShownFirst[i] ? it.second() : it.first();
          pending.add(ask(client, model, system, it, x, y, calls));
          pending.add(ask(client, model, system, it, y, x, calls));
        }
        int next = 0;
        for (int i = start; i < end; i++) {
          Item it = items.get(i);
          if (identical(it)) {
            out.add(new Judged(it, firstShownFirst[i], null, null, new Pair(Outcome.TIE, false)));
            continue;
          }
          // While waiting, the heartbeat vouches only for what is in the work file.
          Verdict one = Heartbeating.await(ctx, pending.get(next++), start);
          Verdict two = Heartbeating.await(ctx, pending.get(next++), start);
          out.add(
              new Judged(
                  it,
                  firstShownFirst[i],
                  one,
                  two,
                  PairRule.combine(firstShownFirst[i], one.choice(), two.choice())));
        }
      } catch (RuntimeException | Error e) {
        pending.forEach(f -> f.cancel(true));
        calls.cancel();
        throw e;
      }
      work.append(out.subList(start, end).stream().map(JudgeActivitiesImpl::toLine).toList());
      ctx.heartbeat(out.size());
    }
    work.delete();
    return out;
  }

  /** A judged pair as its work-file line: what the item needs besides itself. */
  private static String toLine(Judged j) {
    ObjectNode line = JSON.createObjectNode();
    line.put("firstShownFirst", j.firstShownFirst());
    if (j.one() != null) {
      line.set("one", node(j.one()));
      line.set("two", node(j.two()));
    }
    line.put("outcome", j.pair().outcome().name()).put("flipped", j.pair().flipped());
    return Rows.json(line);
  }

  private static Judged fromLine(Item item, String line) {
    try {
      JsonNode n = JSON.readTree(line);
      return new Judged(
          item,
          n.get("firstShownFirst").asBoolean(),
          verdict(n.get("one")),
          verdict(n.get("two")),
          new Pair(Outcome.valueOf(n.get("outcome").asText()), n.get("flipped").asBoolean()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Verdict verdict(JsonNode n) {
    return n == null
        ? null
        : new Verdict(
            JudgePrompt.Choice.valueOf(n.get("verdict").asText()),
            n.hasNonNull("reason") ? n.get("reason").asText() : null);
  }

  private Future<Verdict> ask(
      ProviderClient client,
      String model,
      String system,
      Item it,
      String a,
      String b,
      CallScope calls) {
    String user = JudgePrompt.user(it.input(), it.reference(), a, b);
    return inference.submit(() -> JudgePrompt.parse(client.chat(model, system, user, calls)));
  }

  private static boolean identical(Item it) {
    return it.first().trim().equals(it.second().trim());
  }

  /** One line per pair: its outcome for the first answer, and both judgments with reasons. */
  private ArtifactRef write(List<Judged> judged, String firstName, String secondName) {
    List<String> lines = new ArrayList<>(judged.size());
    for (int i = 0; i < judged.size(); i++) {
      Judged j = judged.get(i);
      ObjectNode line = JSON.createObjectNode();
      line.put("row", i + 1);
      line.put("input", j.item().input());
      if (j.item().reference() != null) {
        line.put("reference", j.item().reference());
      }
      line.put(firstName, j.item().first());
      line.put(secondName, j.item().second());
      line.put(
          "verdict",
          switch (j.pair().outcome()) {
            case FIRST -> firstName;
            case TIE -> "tie";
            case SECOND -> secondName;
          });
      line.put("flipped", j.pair().flipped());
      if (j.one() == null) {
        line.put("reason", "identical answers: a tie without asking the judge");
      } else {
        line.put("shownFirst", j.firstShownFirst() ? firstName : secondName);
        line.set("judgments", JSON.createArrayNode().add(node(j.one())).add(node(j.two())));
      }
      lines.add(Rows.json(line));
    }
    return store.writeLines("verdicts", "jsonl", lines);
  }

  private static ObjectNode node(Verdict v) {
    return JSON.createObjectNode().put("verdict", v.choice().name()).put("reason", v.reason());
  }

  /** The reference as the judge sees it: text as is, a JSON answer as JSON; null when none. */
  private static String reference(JsonNode expected) {
    if (expected == null || expected.isNull() || expected.isMissingNode()) {
      return null;
    }
    return expected.isTextual() ? expected.asText() : expected.toString();
  }

  private List<JsonNode> predictions(ArtifactRef ref) {
    Path file = store.existing(ref.path());
    try {
      List<JsonNode> out = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        out.add(JSON.readTree(line));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
