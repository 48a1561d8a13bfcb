package io.finetune.provider.local;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * Multinomial logistic regression over hashed text features, trained by seeded SGD: picks one of
 * the values it was trained on (a category).
 */
final class SoftmaxClassifier implements FieldModel {
  final ModelCapacity capacity;
  final List<String> labels;
  final float[][] weights; // [label][bucket]

  SoftmaxClassifier(ModelCapacity capacity, List<String> labels, float[][] weights) {
    this.capacity = capacity;
    this.labels = labels;
    this.weights = weights;
  }

  /**
   * Trains one classifier an epoch at a time, so that the caller can score and copy it between
   * epochs. Each trainer draws from its own seeded Random, so trainers of several classifiers can
   * take turns without changing what any of them learns.
   */
  static final class Trainer implements FieldModel.Trainer {
    private static final float BASE_RATE = 0.5f;
    private final SoftmaxClassifier model;
    private final int[][] feats;
    private final int[] y;
    private final int[] order;
    private final Random random;
    private final TrainingOptions options;
    private int epoch;

    /** {@code feats}: each example's hashed features for this capacity. */
    Trainer(
        ModelCapacity capacity,
        int[][] feats,
        List<String> targets,
        TrainingOptions options,
        long seed) {
      List<String> labels = new ArrayList<>(new TreeSet<>(targets));
      this.model =
          new SoftmaxClassifier(capacity, labels, new float[labels.size()][capacity.buckets]);
      this.feats = feats;
      this.y = new int[feats.length];
      for (int i = 0; i < feats.length; i++) {
        y[i] = labels.indexOf(targets.get(i));
      }
      this.order = new int[feats.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      this.random = new Random(seed);
      this.options = options;
    }

    @Override
    public SoftmaxClassifier model() {
      return model;
    }

    @Override
    public void epoch(double[] losses, boolean[] correct) {
      shuffle(order, random);
      // A multiplier of 1 leaves the rate exactly as it always was (x * 1f == x).
      float rate = BASE_RATE * (float) options.learningRateMultiplier() / (1 + epoch++);
      float[][] w = model.weights;
      for (int start = 0; start < order.length; start += options.batchSize()) {
        int size = Math.min(options.batchSize(), order.length - start);
        // The whole batch is scored before any of it is learned from.
        double[][] p = new double[size][];
        for (int b = 0; b < size; b++) {
          int i = order[start + b];
          p[b] = model.probabilities(feats[i]);
          losses[i] -= Math.log(Math.max(p[b][y[i]], 1e-9));
          correct[i] &= argmax(p[b]) == y[i];
        }
        for (int b = 0; b < size; b++) {
          int i = order[start + b];
          float scale = rate / (float) Math.sqrt(feats[i].length) / size;
          for (int k = 0; k < w.length; k++) {
            float g = (float) ((k == y[i] ? 1 : 0) - p[b][k]) * scale;
            if (g != 0) {
              for (int f : feats[i]) {
                w[k][f] += g;
              }
            }
          }
        }
      }
    }
  }

  @Override
  public String kind() {
    return "classifier";
  }

  /** A copy whose weights later training does not change. */
  @Override
  public SoftmaxClassifier copy() {
    float[][] w = new float[weights.length][];
    for (int k = 0; k < w.length; k++) {
      w[k] = weights[k].clone();
    }
    return new SoftmaxClassifier(capacity, labels, w);
  }

  @Override
  public String predict(String text) {
    return labels.get(argmax(probabilities(TextFeatures.hashed(text, capacity))));
  }

  /** A label it never learned costs {@link #MAX_LOSS}. */
  @Override
  public Score score(String input, int[] feats, String expected) {
    int y = labels.indexOf(expected); // -1 if unknown or not representable
    double[] p = probabilities(feats);
    return new Score(y < 0 ? MAX_LOSS : -Math.log(Math.max(p[y], 1e-9)), y >= 0 && argmax(p) == y);
  }

  @Override
  public void write(DataOutputStream out) throws IOException {
    out.writeInt(labels.size());
    for (int k = 0; k < labels.size(); k++) {
      out.writeUTF(labels.get(k));
      for (float w : weights[k]) {
        out.writeFloat(w);
      }
    }
  }

  static SoftmaxClassifier read(DataInputStream in, ModelCapacity capacity) throws IOException {
    int k = in.readInt();
    List<String> labels = new ArrayList<>();
    float[][] w = new float[k][capacity.buckets];
    for (int j = 0; j < k; j++) {
      labels.add(in.readUTF());
      for (int b = 0; b < capacity.buckets; b++) {
        w[j][b] = in.readFloat();
      }
    }
    return new SoftmaxClassifier(capacity, labels, w);
  }

  /** The probability of each label, in the order of {@link #labels}. */
  double[] probabilities(int[] feats) {
    double[] z = new double[labels.size()];
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < z.length; k++) {
      double s = 0;
      for (int f : feats) {
        s += weights[k][f];
      }
      z[k] = s;
      max = Math.max(max, s);
    }
    double sum = 0;
    for (int k = 0; k < z.length; k++) {
      z[k] = Math.exp(z[k] - max);
      sum += z[k];
    }
    for (int k = 0; k < z.length; k++) {
      z[k] /= sum;
    }
    return z;
  }

  /** The first of the most probable labels. */
  static int argmax(double[] p) {
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    return best;
  }

  static void shuffle(int[] a, Random r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
