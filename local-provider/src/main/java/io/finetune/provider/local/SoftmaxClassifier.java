package io.finetune.provider.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Multinomial logistic regression over hashed text features, trained by seeded SGD. */
final class SoftmaxClassifier {
  final ModelCapacity capacity;
  final List<String> labels;
  final float[][] weights; // [label][bucket]

  SoftmaxClassifier(ModelCapacity capacity, List<String> labels, float[][] weights) {
    this.capacity = capacity;
    this.labels = labels;
    this.weights = weights;
  }

  static SoftmaxClassifier train(
      ModelCapacity capacity,
      List<String> texts,
      List<String> targets,
      int epochs,
      long seed,
      EpochListener listener) {
    List<String> labels = new ArrayList<>(new java.util.TreeSet<>(targets));
    float[][] w = new float[labels.size()][capacity.buckets];
    int[][] feats = new int[texts.size()][];
    int[] y = new int[texts.size()];
    for (int i = 0; i < texts.size(); i++) {
      feats[i] = TextFeatures.hashed(texts.get(i), capacity);
      y[i] = labels.indexOf(targets.get(i));
    }
    SoftmaxClassifier model = new SoftmaxClassifier(capacity, labels, w);
    Random random = new Random(seed);
    int[] order = new int[texts.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (int epoch = 0; epoch < epochs; epoch++) {
      shuffle(order, random);
      float rate = 0.5f / (1 + epoch);
      double loss = 0;
      for (int i : order) {
        double[] p = model.probabilities(feats[i]);
        loss -= Math.log(Math.max(p[y[i]], 1e-9));
        float scale = rate / (float) Math.sqrt(feats[i].length);
        for (int k = 0; k < labels.size(); k++) {
          float g = (float) ((k == y[i] ? 1 : 0) - p[k]) * scale;
          if (g != 0) {
            for (int f : feats[i]) {
              w[k][f] += g;
            }
          }
        }
      }
      if (listener != null) {
        listener.epochDone(epoch + 1, epochs, loss / Math.max(1, texts.size()));
      }
    }
    return model;
  }

  String predict(String text) {
    double[] p = probabilities(TextFeatures.hashed(text, capacity));
    int best = 0;
    for (int k = 1; k < p.length; k++) {
      if (p[k] > p[best]) {
        best = k;
      }
    }
    return labels.get(best);
  }

  private double[] probabilities(int[] feats) {
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

  private static void shuffle(int[] a, Random r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  interface EpochListener {
    void epochDone(int epoch, int epochs, double meanLoss);
  }
}
