package io.finetune.provider.local;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Answers free text by retrieval: the answers of the training inputs most like the new one, fitted
 * to it by {@link SlotFiller}. Inputs are compared by the cosine of their {@link
 * TextFeatures#hashed} features (so capacity matters: few buckets blur inputs together), each
 * weighted by log-scaled count times inverse document frequency, so that the words that tell
 * requests apart count more than the ones all requests share. Values are masked first (words with
 * digits read "num", capitalized words inside a sentence "name"): a rare name or order number says
 * nothing about what kind of request it is, yet would weigh most. The {@value #NEIGHBOURS} nearest
 * vote for an answer template (the answer with its slots blanked), each with its similarity; the
 * nearest input of the winning template gives the answer, its slots filled from the new input.
 *
 * <p>It keeps the training pairs and derives the rest from them, learned in one pass.
 */
final class NearestAnswer implements FieldModel {
  static final int NEIGHBOURS = 5;

  final ModelCapacity capacity;
  final List<String> inputs;
  final List<String> answers;
  private final double[] idf;
  private final List<Map<Integer, Double>> postings = new ArrayList<>(); // bucket -> doc -> weight
  private final List<Tokenized> inputTokens = new ArrayList<>();
  private final List<Tokenized> answerTokens = new ArrayList<>();
  private final List<List<SlotFiller.Slot>> slots = new ArrayList<>();
  private final List<String> templates = new ArrayList<>();

  NearestAnswer(ModelCapacity capacity, List<String> inputs, List<String> answers) {
    this.capacity = capacity;
    this.inputs = List.copyOf(inputs);
    this.answers = List.copyOf(answers);
    int[] df = new int[capacity.buckets];
    List<Map<Integer, Integer>> counts = new ArrayList<>();
    for (String input : inputs) {
      Map<Integer, Integer> c = counts(input);
      c.keySet().forEach(b -> df[b]++);
      counts.add(c);
    }
    idf = new double[capacity.buckets];
    for (int b = 0; b < idf.length; b++) {
      idf[b] = Math.log((1.0 + inputs.size()) / (1.0 + df[b])) + 1;
    }
    for (int b = 0; b < capacity.buckets; b++) {
      postings.add(null);
    }
    for (int i = 0; i < inputs.size(); i++) {
      Map<Integer, Double> v = vector(counts.get(i));
      for (Map.Entry<Integer, Double> e : v.entrySet()) {
        if (postings.get(e.getKey()) == null) {
          postings.set(e.getKey(), new LinkedHashMap<>());
        }
        postings.get(e.getKey()).put(i, e.getValue());
      }
      Tokenized in = Tokenized.of(inputs.get(i));
      Tokenized out = Tokenized.of(answers.get(i));
      List<SlotFiller.Slot> s = SlotFiller.slots(in, out);
      inputTokens.add(in);
      answerTokens.add(out);
      slots.add(s);
      templates.add(SlotFiller.template(out, s));
    }
  }

  private Map<Integer, Integer> counts(String text) {
    Map<Integer, Integer> c = new HashMap<>();
    for (int b : TextFeatures.hashed(masked(text), capacity)) {
      c.merge(b, 1, Integer::sum);
    }
    return c;
  }

  private static String masked(String text) {
    StringBuilder sb = new StringBuilder();
    for (Tokenized.Token t : Tokenized.of(text).tokens) {
      sb.append(' ')
          .append(t.hasDigit() ? "num" : t.capitalized() && !t.sentenceStart() ? "name" : t.text());
    }
    return sb.toString();
  }

  /** Unit length, so that a dot product is the cosine. */
  private Map<Integer, Double> vector(Map<Integer, Integer> counts) {
    Map<Integer, Double> v = new HashMap<>();
    double norm = 0;
    for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
      double w = (1 + Math.log(e.getValue())) * idf[e.getKey()];
      v.put(e.getKey(), w);
      norm += w * w;
    }
    double n = Math.sqrt(norm);
    v.replaceAll((b, w) -> w / n);
    return v;
  }

  @Override
  public String kind() {
    return "nearest";
  }

  @Override
  public String predict(String input) {
    return predict(input, -1);
  }

  /** The answer without training example {@code leftOut} (-1: with all of them). */
  String predict(String input, int leftOut) {
    double[] sim = new double[inputs.size()];
    for (Map.Entry<Integer, Double> q : vector(counts(input)).entrySet()) {
      Map<Integer, Double> docs = postings.get(q.getKey());
      if (docs != null) {
        docs.forEach((doc, w) -> sim[doc] += w * q.getValue());
      }
    }
    List<Integer> nearest =
        IntStream.range(0, inputs.size())
            .filter(i -> i != leftOut)
            .boxed()
            .sorted(Comparator.comparingDouble((Integer i) -> -sim[i]).thenComparing(i -> i))
            .limit(NEIGHBOURS)
            .toList();
    if (nearest.isEmpty()) {
      return "";
    }
    // Votes per template; the nearest neighbour of each template comes first in its list.
    Map<String, Double> votes = new LinkedHashMap<>();
    Map<String, Integer> nearestOf = new HashMap<>();
    for (int i : nearest) {
      votes.merge(templates.get(i), sim[i], Double::sum);
      nearestOf.putIfAbsent(templates.get(i), i);
    }
    String template =
        votes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    int n = nearestOf.get(template);
    return SlotFiller.fill(
        inputTokens.get(n), answerTokens.get(n), slots.get(n), Tokenized.of(input));
  }

  @Override
  public Score score(String input, int[] feats, String expected) {
    return expected == null ? new Score(MAX_LOSS, false) : Score.exact(predict(input), expected);
  }

  /** Each training example scored by the others alone: else every one would find itself. */
  List<Score> trainingScores() {
    return IntStream.range(0, inputs.size())
        .mapToObj(i -> Score.exact(predict(inputs.get(i), i), answers.get(i)))
        .toList();
  }

  @Override
  public FieldModel copy() {
    return this; // nothing in it changes after learning
  }

  @Override
  public void write(DataOutputStream out) throws IOException {
    out.writeInt(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      writeText(out, inputs.get(i));
      writeText(out, answers.get(i));
    }
  }

  static NearestAnswer read(DataInputStream in, ModelCapacity capacity) throws IOException {
    int n = in.readInt();
    String[] inputs = new String[n];
    String[] answers = new String[n];
    for (int i = 0; i < n; i++) {
      inputs[i] = readText(in);
      answers[i] = readText(in);
    }
    return new NearestAnswer(capacity, Arrays.asList(inputs), Arrays.asList(answers));
  }

  /** Texts of any length: writeUTF stops at 64 KB. */
  private static void writeText(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readText(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }
}
