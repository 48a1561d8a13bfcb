package io.finetune.provider.local;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * What a fine-tuned model learned about one field of the answers, or about whole answers: how to
 * give it for a new input. {@link FieldKind} says which kind a field gets.
 */
sealed interface FieldModel permits SoftmaxClassifier, DateExtractor, SpanExtractor, NearestAnswer {
  /**
   * The loss of a value the model cannot give, and of a wrong answer of a model that gives one
   * answer for sure: -log of the floor SGD puts on probabilities.
   */
  double MAX_LOSS = -Math.log(1e-9);

  String predict(String input);

  /**
   * The loss of {@code expected} (null: an answer the model cannot represent) and whether the model
   * gives exactly it; {@code feats} are the input's {@link TextFeatures#hashed} features.
   */
  Score score(String input, int[] feats, String expected);

  /** A copy which later training does not change. */
  FieldModel copy();

  /** Whether the field's values are JSON numbers, to be answered as numbers. */
  default boolean numbers() {
    return false;
  }

  void write(DataOutputStream out) throws IOException;

  /** The kind's name in model files: classifier, date, span or nearest; see {@link #read}. */
  String kind();

  static FieldModel read(String kind, DataInputStream in, ModelCapacity capacity)
      throws IOException {
    return switch (kind) {
      case "classifier" -> SoftmaxClassifier.read(in, capacity);
      case "date" -> DateExtractor.read(in);
      case "span" -> SpanExtractor.read(in, capacity);
      case "nearest" -> NearestAnswer.read(in, capacity);
      default -> throw new IOException("unknown kind of field model: " + kind);
    };
  }

  record Score(double loss, boolean right) {
    /** A model that gives one answer for sure: no loss if it is right, {@link #MAX_LOSS} if not. */
    static Score exact(String answer, String expected) {
      boolean right = answer.equals(expected);
      return new Score(right ? 0 : MAX_LOSS, right);
    }
  }

  /**
   * Trains a field model an epoch at a time, so that the whole model can be scored and copied
   * between epochs.
   */
  interface Trainer {
    FieldModel model();

    /**
     * Runs the next epoch. Adds each example's loss to {@code losses} and clears {@code correct}
     * where the model got it wrong, both as the model stood just before learning from it.
     */
    void epoch(double[] losses, boolean[] correct);
  }

  /**
   * The trainer of a model learned in one pass before training starts: every epoch scores the same.
   * {@code scores} gives each training example's score, as the model would without having seen it
   * where that matters (a nearest answer would find the example itself).
   */
  static Trainer learnedOnce(FieldModel model, List<Score> scores) {
    return new Trainer() {
      @Override
      public FieldModel model() {
        return model;
      }

      @Override
      public void epoch(double[] losses, boolean[] correct) {
        for (int i = 0; i < losses.length; i++) {
          losses[i] += scores.get(i).loss();
          correct[i] &= scores.get(i).right();
        }
      }
    };
  }
}
