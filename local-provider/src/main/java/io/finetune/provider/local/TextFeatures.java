package io.finetune.provider.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Turns text into hashed sparse features; what a model may see depends on its capacity. */
final class TextFeatures {
  private TextFeatures() {}

  static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    for (String t : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+", -1)) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /** Bucket indexes of the features of {@code text}, repeated when a feature occurs twice. */
  static int[] hashed(String text, ModelCapacity capacity) {
    List<String> toks = tokens(text);
    List<String> feats = new ArrayList<>(toks.size() * 3);
    for (int i = 0; i < toks.size(); i++) {
      feats.add("u:" + toks.get(i));
      if (capacity.bigrams && i + 1 < toks.size()) {
        feats.add("b:" + toks.get(i) + "_" + toks.get(i + 1));
      }
      if (capacity.prefixes && toks.get(i).length() > 5) {
        feats.add("p:" + toks.get(i).substring(0, 5));
      }
    }
    // Currency signs carry meaning that words do not ($ is USD): each is a feature of its own.
    text.codePoints()
        .filter(c -> Character.getType(c) == Character.CURRENCY_SYMBOL)
        .forEach(c -> feats.add("s:" + Character.toString(c)));
    feats.add("bias");
    int[] idx = new int[feats.size()];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = Math.floorMod(mix(feats.get(i).hashCode()), capacity.buckets);
    }
    return idx;
  }

  /** The bucket of a named feature, out of {@code buckets}. */
  static int bucket(String feature, int buckets) {
    return Math.floorMod(mix(feature.hashCode()), buckets);
  }

  private static int mix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
