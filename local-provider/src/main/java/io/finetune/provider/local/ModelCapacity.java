package io.finetune.provider.local;

import java.util.Locale;

/**
 * What a local model size can represent. Larger sizes see more features (bigrams, word stems)
 * through more hash buckets and train longer, so they can fit more of the data.
 */
enum ModelCapacity {
  SMALL(1 << 6, false, false, 3),
  MEDIUM(1 << 12, true, false, 6),
  LARGE(1 << 16, true, true, 10);

  final int buckets;
  final boolean bigrams;
  final boolean prefixes;
  final int defaultEpochs;

  ModelCapacity(int buckets, boolean bigrams, boolean prefixes, int defaultEpochs) {
    this.buckets = buckets;
    this.bigrams = bigrams;
    this.prefixes = prefixes;
    this.defaultEpochs = defaultEpochs;
  }

  /** The capacity of a base model id such as {@code local-medium}, or null if it is not ours. */
  static ModelCapacity ofBaseModel(String model) {
    if (model == null || !model.startsWith(LocalProvider.BASE_MODEL_PREFIX)) {
      return null;
    }
    String size = model.substring(LocalProvider.BASE_MODEL_PREFIX.length());
    for (ModelCapacity c : values()) {
      if (c.name().toLowerCase(Locale.ROOT).equals(size)) {
        return c;
      }
    }
    return null;
  }

  String baseModelId() {
    return LocalProvider.BASE_MODEL_PREFIX + name().toLowerCase(Locale.ROOT);
  }
}
