package io.finetune.provider.local;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Answers a field by copying a run of words from the input: a name, an order number, a product.
 * Every run of up to {@link #maxTokens} tokens that starts and ends on a word is a candidate, and
 * so is the empty answer; a linear model over hashed features of each candidate scores them, and
 * the best one is the answer, as written in the input. Most features say what a value looks like
 * and where it stands rather than which value it is, so that the model finds names it never saw:
 *
 * <ul>
 *   <li>its length in tokens and its shape, exact ("X'Xx" for O'Neil) and coarse (C for a
 *       capitalized word, D for one with digits, w for another word, punctuation as itself);
 *   <li>the word right before and right after it, alone and with the coarse shape ("from" then two
 *       capitalized words), and whether it starts a sentence;
 *   <li>its first and last word (for values that repeat, and words that are never one);
 *   <li>from {@code local-medium} on, also the two words before and after and both neighbours
 *       together; {@code local-large} also sees every word inside it.
 * </ul>
 *
 * <p>It is trained by seeded SGD on the log-likelihood of the candidates that read as the training
 * value (a softmax over the input's candidates), so its loss is a real one. Weights live in {@code
 * max(1024, capacity buckets)} hash buckets.
 */
final class SpanExtractor implements FieldModel {
  /** The longest value it learns to copy, in tokens. */
  static final int MAX_TOKENS = 20;

  final ModelCapacity capacity;
  final int maxTokens;
  final boolean numbers;
  final float[] weights;

  SpanExtractor(ModelCapacity capacity, int maxTokens, boolean numbers, float[] weights) {
    this.capacity = capacity;
    this.maxTokens = maxTokens;
    this.numbers = numbers;
    this.weights = weights;
  }

  static int buckets(ModelCapacity capacity) {
    return Math.max(1 << 10, capacity.buckets);
  }

  /** The candidates of one input: index 0 is the empty answer, then runs of tokens. */
  private final class Candidates {
    final Tokenized text;
    final List<int[]> spans = new ArrayList<>();
    final List<int[]> feats = new ArrayList<>();

    Candidates(String input) {
      text = Tokenized.of(input);
      spans.add(null);
      feats.add(new int[] {TextFeatures.bucket("empty", weights.length)});
      for (int from = 0; from < text.size(); from++) {
        if (!text.get(from).word()) {
          continue;
        }
        for (int to = from + 1; to <= Math.min(text.size(), from + maxTokens); to++) {
          if (text.get(to - 1).word()) {
            spans.add(new int[] {from, to});
            feats.add(features(text, from, to));
          }
        }
      }
    }

    String answer(int c) {
      return c == 0 ? "" : text.span(spans.get(c)[0], spans.get(c)[1]);
    }

    /** Which candidates read as {@code value}, case and white space aside. */
    boolean[] gold(String value) {
      String wanted = Tokenized.normalize(value);
      boolean[] gold = new boolean[spans.size()];
      for (int c = 0; c < gold.length; c++) {
        gold[c] = Tokenized.normalize(answer(c)).equals(wanted);
      }
      return gold;
    }

    double[] probabilities() {
      double[] z = new double[spans.size()];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < z.length; c++) {
        double s = 0;
        for (int f : feats.get(c)) {
          s += weights[f];
        }
        z[c] = s;
        max = Math.max(max, s);
      }
      double sum = 0;
      for (int c = 0; c < z.length; c++) {
        z[c] = Math.exp(z[c] - max);
        sum += z[c];
      }
      for (int c = 0; c < z.length; c++) {
        z[c] /= sum;
      }
      return z;
    }
  }

  private int[] features(Tokenized t, int from, int to) {
    StringBuilder exact = new StringBuilder();
    StringBuilder coarse = new StringBuilder();
    for (int i = from; i < to; i++) {
      Tokenized.Token tok = t.get(i);
      exact.append(i > from ? " " : "").append(tok.shape());
      coarse.append(
          !tok.word() ? tok.text() : tok.hasDigit() ? "D" : tok.capitalized() ? "C" : "w");
    }
    String p1 = t.lowerAt(from - 1);
    String n1 = t.lowerAt(to);
    List<String> f = new ArrayList<>();
    f.add("len=" + (to - from));
    f.add("shape=" + exact);
    f.add("coarse=" + coarse);
    f.add("p1=" + p1);
    f.add("n1=" + n1);
    f.add("p1&coarse=" + p1 + "&" + coarse);
    f.add("n1&coarse=" + n1 + "&" + coarse);
    f.add("first=" + t.lowerAt(from));
    f.add("last=" + t.lowerAt(to - 1));
    if (t.get(from).sentenceStart()) {
      f.add("start&coarse=" + coarse);
    }
    if (capacity != ModelCapacity.SMALL) {
      f.add("p2=" + t.lowerAt(from - 2) + "_" + p1);
      f.add("n2=" + n1 + "_" + t.lowerAt(to + 1));
      f.add("p1&n1=" + p1 + "&" + n1);
    }
    if (capacity == ModelCapacity.LARGE) {
      for (int i = from; i < to; i++) {
        f.add("in=" + t.lowerAt(i));
      }
    }
    int[] idx = new int[f.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = TextFeatures.bucket(f.get(i), weights.length);
    }
    return idx;
  }

  @Override
  public String kind() {
    return "span";
  }

  @Override
  public String predict(String input) {
    Candidates c = new Candidates(input);
    return c.answer(SoftmaxClassifier.argmax(c.probabilities()));
  }

  /** The loss is -log of the probability of the candidates that read as {@code expected}. */
  @Override
  public Score score(String input, int[] feats, String expected) {
    if (expected == null) {
      return new Score(MAX_LOSS, false);
    }
    Candidates c = new Candidates(input);
    double[] p = c.probabilities();
    return new Score(
        loss(p, c.gold(expected)), c.answer(SoftmaxClassifier.argmax(p)).equals(expected));
  }

  private static double loss(double[] p, boolean[] gold) {
    double pGold = 0;
    for (int c = 0; c < p.length; c++) {
      pGold += gold[c] ? p[c] : 0;
    }
    return pGold == 0 ? MAX_LOSS : -Math.log(Math.max(pGold, 1e-9));
  }

  @Override
  public boolean numbers() {
    return numbers;
  }

  @Override
  public SpanExtractor copy() {
    return new SpanExtractor(capacity, maxTokens, numbers, weights.clone());
  }

  @Override
  public void write(DataOutputStream out) throws IOException {
    out.writeInt(maxTokens);
    out.writeBoolean(numbers);
    out.writeInt(weights.length);
    for (float w : weights) {
      out.writeFloat(w);
    }
  }

  static SpanExtractor read(DataInputStream in, ModelCapacity capacity) throws IOException {
    int maxTokens = in.readInt();
    boolean numbers = in.readBoolean();
    float[] w = new float[in.readInt()];
    for (int b = 0; b < w.length; b++) {
      w[b] = in.readFloat();
    }
    return new SpanExtractor(capacity, maxTokens, numbers, w);
  }

  /**
   * Trains one extractor an epoch at a time, as {@link SoftmaxClassifier.Trainer} does: the same
   * rate schedule, batches and seeded shuffling. A training value the input does not hold cannot be
   * learned: it costs {@link #MAX_LOSS} and counts as wrong.
   */
  static final class Trainer implements FieldModel.Trainer {
    private static final float BASE_RATE = 0.5f;
    private final SpanExtractor model;
    private final List<String> values;
    private final List<SpanExtractor.Candidates> candidates = new ArrayList<>();
    private final List<boolean[]> gold = new ArrayList<>();
    private final int[] order;
    private final Random random;
    private final TrainingOptions options;
    private int epoch;

    Trainer(
        ModelCapacity capacity,
        List<String> inputs,
        List<String> values,
        boolean numbers,
        TrainingOptions options,
        long seed) {
      int longest = 1;
      for (int i = 0; i < inputs.size(); i++) {
        int[] span = Tokenized.of(inputs.get(i)).find(values.get(i));
        longest = span == null ? longest : Math.max(longest, span[1] - span[0]);
      }
      this.model =
          new SpanExtractor(
              capacity, Math.min(longest, MAX_TOKENS), numbers, new float[buckets(capacity)]);
      this.values = values;
      for (int i = 0; i < inputs.size(); i++) {
        SpanExtractor.Candidates c = model.new Candidates(inputs.get(i));
        candidates.add(c);
        gold.add(c.gold(values.get(i)));
      }
      this.order = new int[inputs.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      this.random = new Random(seed);
      this.options = options;
    }

    @Override
    public SpanExtractor model() {
      return model;
    }

    @Override
    public void epoch(double[] losses, boolean[] correct) {
      SoftmaxClassifier.shuffle(order, random);
      float rate = BASE_RATE * (float) options.learningRateMultiplier() / (1 + epoch++);
      float[] w = model.weights;
      for (int start = 0; start < order.length; start += options.batchSize()) {
        int size = Math.min(options.batchSize(), order.length - start);
        // The whole batch is scored before any of it is learned from.
        double[][] p = new double[size][];
        for (int b = 0; b < size; b++) {
          int i = order[start + b];
          p[b] = candidates.get(i).probabilities();
          losses[i] += loss(p[b], gold.get(i));
          correct[i] &=
              candidates.get(i).answer(SoftmaxClassifier.argmax(p[b])).equals(values.get(i));
        }
        for (int b = 0; b < size; b++) {
          int i = order[start + b];
          boolean[] g = gold.get(i);
          double pGold = 0;
          for (int c = 0; c < g.length; c++) {
            pGold += g[c] ? p[b][c] : 0;
          }
          if (pGold == 0) {
            continue; // not in the input (or beyond the floor): nothing to learn from
          }
          List<int[]> feats = candidates.get(i).feats;
          for (int c = 0; c < g.length; c++) {
            // The gradient of log P(gold) for candidate c: its share of the gold mass, minus p.
            double target = g[c] ? p[b][c] / pGold : 0;
            float step =
                (float) (target - p[b][c]) * rate / (float) Math.sqrt(feats.get(c).length) / size;
            if (step != 0) {
              for (int f : feats.get(c)) {
                w[f] += step;
              }
            }
          }
        }
      }
    }
  }
}
