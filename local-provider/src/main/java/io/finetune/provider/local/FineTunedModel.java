package io.finetune.provider.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A model made by a fine-tuning job: one classifier per field of the assistant's JSON answers, or
 * one over whole answers when they are not JSON objects.
 */
final class FineTunedModel {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String WHOLE_ANSWER = "";
  // The loss of a label the model never learned: the floor SGD puts on probabilities.
  private static final double MAX_LOSS = -Math.log(1e-9);

  final String id;
  final ModelCapacity capacity;
  final Map<String, SoftmaxClassifier> fields;

  FineTunedModel(String id, ModelCapacity capacity, Map<String, SoftmaxClassifier> fields) {
    this.id = id;
    this.capacity = capacity;
    this.fields = fields;
  }

  /** One training example: the last user message and the assistant's answer. */
  record Example(String input, String answer) {}

  /**
   * How the model scores after an epoch. Losses are the mean negative log-likelihood of whole
   * answers (summed over fields); accuracies the share of whole answers exactly right. Training
   * scores are taken as SGD met each example, before learning from it, as OpenAI reports them;
   * validation scores are null without validation examples.
   */
  record EpochScores(
      int epoch,
      int epochs,
      int step,
      int totalSteps,
      double trainLoss,
      double trainAccuracy,
      Double validLoss,
      Double validAccuracy) {}

  interface EpochListener {
    /** {@code snapshot} copies the model as it stands after this epoch, under the id given. */
    void epochDone(EpochScores scores, Function<String, FineTunedModel> snapshot);
  }

  /**
   * Trains one classifier per answer field. They take turns epoch by epoch, so that the whole model
   * can be scored and copied between epochs; each learns exactly as if trained alone. Validation
   * examples are only scored, never learned from.
   */
  static FineTunedModel train(
      String id,
      ModelCapacity capacity,
      List<Example> examples,
      List<Example> validation,
      TrainingOptions options,
      long seed,
      EpochListener listener) {
    List<String> answers = examples.stream().map(Example::answer).toList();
    Map<String, List<String>> targets = targets(answers);
    int[][] feats = features(examples, capacity);
    Map<String, SoftmaxClassifier.Trainer> trainers = new LinkedHashMap<>();
    Map<String, SoftmaxClassifier> fields = new LinkedHashMap<>();
    long fieldSeed = seed;
    for (Map.Entry<String, List<String>> t : targets.entrySet()) {
      var trainer =
          new SoftmaxClassifier.Trainer(capacity, feats, t.getValue(), options, fieldSeed++);
      trainers.put(t.getKey(), trainer);
      fields.put(t.getKey(), trainer.model());
    }
    FineTunedModel model = new FineTunedModel(id, capacity, fields);
    int[][] validFeats = features(validation, capacity);
    int stepsPerEpoch = options.stepsPerEpoch(examples.size());
    for (int epoch = 1; epoch <= options.epochs(); epoch++) {
      double[] losses = new double[examples.size()];
      boolean[] correct = new boolean[examples.size()];
      Arrays.fill(correct, true);
      for (SoftmaxClassifier.Trainer t : trainers.values()) {
        t.epoch(losses, correct);
      }
      if (listener == null) {
        continue;
      }
      Double validLoss = null;
      Double validAccuracy = null;
      if (!validation.isEmpty()) {
        double loss = 0;
        int right = 0;
        for (int i = 0; i < validation.size(); i++) {
          Score s = model.score(validFeats[i], validation.get(i).answer());
          loss += s.loss();
          right += s.right() ? 1 : 0;
        }
        validLoss = loss / validation.size();
        validAccuracy = right / (double) validation.size();
      }
      listener.epochDone(
          new EpochScores(
              epoch,
              options.epochs(),
              epoch * stepsPerEpoch,
              options.epochs() * stepsPerEpoch,
              Arrays.stream(losses).sum() / Math.max(1, losses.length),
              count(correct) / (double) Math.max(1, correct.length),
              validLoss,
              validAccuracy),
          model::copy);
    }
    return model;
  }

  /** Per field of JSON-object answers, or {@link #WHOLE_ANSWER}, the label of each answer. */
  private static Map<String, List<String>> targets(List<String> answers) {
    Map<String, List<String>> targets = new LinkedHashMap<>();
    List<JsonNode> parsed = answers.stream().map(FineTunedModel::tryParse).toList();
    if (parsed.stream().anyMatch(node -> node == null || !node.isObject())) {
      targets.put(WHOLE_ANSWER, answers);
      return targets;
    }
    for (JsonNode node : parsed) {
      node.fieldNames().forEachRemaining(f -> targets.putIfAbsent(f, new ArrayList<>()));
    }
    for (JsonNode node : parsed) {
      for (Map.Entry<String, List<String>> t : targets.entrySet()) {
        t.getValue().add(label(node.get(t.getKey())));
      }
    }
    return targets;
  }

  /** A field's value as the label a classifier learns: text as is, other values as JSON. */
  private static String label(JsonNode value) {
    return value == null || value.isNull()
        ? ""
        : value.isTextual() ? value.asText() : value.toString();
  }

  private static int[][] features(List<Example> examples, ModelCapacity capacity) {
    int[][] feats = new int[examples.size()][];
    for (int i = 0; i < feats.length; i++) {
      feats[i] = TextFeatures.hashed(examples.get(i).input(), capacity);
    }
    return feats;
  }

  private static int count(boolean[] values) {
    int n = 0;
    for (boolean v : values) {
      n += v ? 1 : 0;
    }
    return n;
  }

  private record Score(double loss, boolean right) {}

  /**
   * The loss of one expected answer and whether the model gives exactly it. An answer the model
   * cannot give (a label or field it never learned, or not a JSON object) is wrong, and each of its
   * values the model never learned costs {@link #MAX_LOSS}.
   */
  private Score score(int[] feats, String answer) {
    Map<String, String> expected = new LinkedHashMap<>();
    boolean representable = true;
    if (fields.containsKey(WHOLE_ANSWER)) {
      expected.put(WHOLE_ANSWER, answer);
    } else {
      JsonNode node = tryParse(answer);
      if (node == null || !node.isObject()) {
        representable = false;
      } else {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
          representable &= fields.containsKey(names.next());
        }
        fields.keySet().forEach(f -> expected.put(f, label(node.get(f))));
      }
    }
    double loss = 0;
    boolean right = representable;
    for (Map.Entry<String, SoftmaxClassifier> f : fields.entrySet()) {
      SoftmaxClassifier c = f.getValue();
      int y = c.labels.indexOf(expected.get(f.getKey())); // -1 if unknown or not representable
      double[] p = c.probabilities(feats);
      loss += y < 0 ? MAX_LOSS : -Math.log(Math.max(p[y], 1e-9));
      right &= y >= 0 && SoftmaxClassifier.argmax(p) == y;
    }
    return new Score(loss, right);
  }

  /** A copy under another id, which later training does not change. */
  FineTunedModel copy(String copyId) {
    Map<String, SoftmaxClassifier> copied = new LinkedHashMap<>();
    fields.forEach((name, c) -> copied.put(name, c.copy()));
    return new FineTunedModel(copyId, capacity, copied);
  }

  String answer(String input) {
    if (fields.containsKey(WHOLE_ANSWER)) {
      return fields.get(WHOLE_ANSWER).predict(input);
    }
    ObjectNode out = JSON.createObjectNode();
    fields.forEach((name, c) -> out.put(name, c.predict(input)));
    return out.toString();
  }

  void write(OutputStream os) throws IOException {
    DataOutputStream out = new DataOutputStream(os);
    out.writeUTF(id);
    out.writeUTF(capacity.name());
    out.writeInt(fields.size());
    for (Map.Entry<String, SoftmaxClassifier> f : fields.entrySet()) {
      out.writeUTF(f.getKey());
      SoftmaxClassifier c = f.getValue();
      out.writeInt(c.labels.size());
      for (int k = 0; k < c.labels.size(); k++) {
        out.writeUTF(c.labels.get(k));
        for (float w : c.weights[k]) {
          out.writeFloat(w);
        }
      }
    }
    out.flush();
  }

  static FineTunedModel read(InputStream is) throws IOException {
    DataInputStream in = new DataInputStream(is);
    String id = in.readUTF();
    ModelCapacity capacity = ModelCapacity.valueOf(in.readUTF());
    int n = in.readInt();
    Map<String, SoftmaxClassifier> fields = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String name = in.readUTF();
      int k = in.readInt();
      List<String> labels = new ArrayList<>();
      float[][] w = new float[k][capacity.buckets];
      for (int j = 0; j < k; j++) {
        labels.add(in.readUTF());
        for (int b = 0; b < capacity.buckets; b++) {
          w[j][b] = in.readFloat();
        }
      }
      fields.put(name, new SoftmaxClassifier(capacity, labels, w));
    }
    return new FineTunedModel(id, capacity, fields);
  }

  private static JsonNode tryParse(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      return null;
    }
  }
}
