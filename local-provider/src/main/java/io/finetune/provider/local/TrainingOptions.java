package io.finetune.provider.local;

/**
 * How SGD runs: {@code epochs} passes over the data, one update per {@code batchSize} examples (the
 * mean of their gradients), at the base rate times {@code learningRateMultiplier}.
 */
record TrainingOptions(int epochs, int batchSize, double learningRateMultiplier) {
  TrainingOptions {
    if (batchSize < 1 || !(learningRateMultiplier > 0)) {
      throw new IllegalArgumentException(
          "batch size " + batchSize + ", learning rate multiplier " + learningRateMultiplier);
    }
  }

  /** One example per update at the base rate: what every job ran with before these options. */
  static TrainingOptions defaults(int epochs) {
    return new TrainingOptions(epochs, 1, 1.0);
  }

  /** Updates per epoch over {@code examples} examples; a last, smaller batch is one too. */
  int stepsPerEpoch(int examples) {
    return (examples + batchSize - 1) / batchSize;
  }
}
