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
 * A model made by a fine-tuning job: one {@link FieldModel} per field of the assistant's JSON
 * answers, or one over whole answers when they are not all JSON objects. The training values of a
 * field decide its kind ({@link FieldKind}, first rule that holds):
 *
 * <ul>
 *   <li>dates: (nearly) all non-empty values are ISO dates: a {@link DateExtractor} finds the date
 *       the input mentions and normalizes it, with the year learned from training for mentions
 *       without one;
 *   <li>spans: most values are copied from the input (names, numbers): a {@link SpanExtractor};
 *   <li>free text: most values are distinct: a {@link NearestAnswer}, the answer of the nearest
 *       training inputs with their names and numbers swapped for the new input's;
 *   <li>categories: values repeat: a {@link SoftmaxClassifier}, which picks one of them.
 * </ul>
 *
 * <p>Model files start with a format version; files written before there was one (a classifier per
 * field, no header) are read as they were.
 */
final class FineTunedModel {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String WHOLE_ANSWER = "";

  /**
   * Version 2: a field's kind before its model. A version 1 file (no header) starts with its id, a
   * writeUTF, whose length is never 0 (ids are never empty); so version 2 and later start with an
   * empty string, then the version.
   */
  static final int FORMAT_VERSION = 2;

  final String id;
  final ModelCapacity capacity;
  final Map<String, FieldModel> fields;

  FineTunedModel(String id, ModelCapacity capacity, Map<String, FieldModel> fields) {
    this.id = id;
    this.capacity = capacity;
    this.fields = fields;
  }

  /** One training example: the last user message and the assistant's answer. */
  record Example(String input, String answer) {}

  /**
   * How the model scores after an epoch. Losses are the mean negative log-likelihood of whole
   * answers (summed over fields; a date or nearest-answer field, which gives one answer for sure,
   * costs 0 when right and {@link FieldModel#MAX_LOSS} when wrong); accuracies the share of whole
   * answers exactly right. Training scores are taken as SGD met each example, before learning from
   * it, as OpenAI reports them (fields learned in one pass score the same every epoch, nearest
   * answers without the example itself); validation scores are null without validation examples.
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
   * Trains one field model per answer field. They take turns epoch by epoch, so that the whole
   * model can be scored and copied between epochs; each learns exactly as if trained alone (dates
   * and nearest answers learn in one pass, before the first epoch). Validation examples are only
   * scored, never learned from.
   */
  static FineTunedModel train(
      String id,
      ModelCapacity capacity,
      List<Example> examples,
      List<Example> validation,
      TrainingOptions options,
      long seed,
      EpochListener listener) {
    List<String> inputs = examples.stream().map(Example::input).toList();
    List<String> answers = examples.stream().map(Example::answer).toList();
    Map<String, Target> targets = targets(answers);
    int[][] feats = features(examples, capacity);
    Map<String, FieldModel.Trainer> trainers = new LinkedHashMap<>();
    Map<String, FieldModel> fields = new LinkedHashMap<>();
    long fieldSeed = seed;
    for (Map.Entry<String, Target> t : targets.entrySet()) {
      List<String> values = t.getValue().values();
      // The next seed whatever the kind, so that classifiers learn as they always did.
      long fs = fieldSeed++;
      FieldModel.Trainer trainer =
          switch (FieldKind.of(inputs, values)) {
            case DATE -> {
              DateExtractor date = DateExtractor.learn(inputs, values);
              yield FieldModel.learnedOnce(date, scores(date, inputs, values));
            }
            case SPAN ->
                new SpanExtractor.Trainer(
                    capacity, inputs, values, t.getValue().numbers(), options, fs);
            case TEXT -> {
              NearestAnswer nearest = new NearestAnswer(capacity, inputs, values);
              yield FieldModel.learnedOnce(nearest, nearest.trainingScores());
            }
            case CATEGORY -> new SoftmaxClassifier.Trainer(capacity, feats, values, options, fs);
          };
      trainers.put(t.getKey(), trainer);
      fields.put(t.getKey(), trainer.model());
    }
    FineTunedModel model = new FineTunedModel(id, capacity, fields);
    int stepsPerEpoch = options.stepsPerEpoch(examples.size());
    for (int epoch = 1; epoch <= options.epochs(); epoch++) {
      double[] losses = new double[examples.size()];
      boolean[] correct = new boolean[examples.size()];
      Arrays.fill(correct, true);
      for (FieldModel.Trainer t : trainers.values()) {
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
          Score s = model.score(validation.get(i).input(), validation.get(i).answer());
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

  /**
   * What a field model learns: each answer's value as a label, and whether the non-empty values are
   * all JSON numbers.
   */
  private record Target(List<String> values, boolean numbers) {}

  /** Per field of JSON-object answers, or {@link #WHOLE_ANSWER}, its values. */
  private static Map<String, Target> targets(List<String> answers) {
    Map<String, Target> targets = new LinkedHashMap<>();
    List<JsonNode> parsed = answers.stream().map(FineTunedModel::tryParse).toList();
    if (parsed.stream().anyMatch(node -> node == null || !node.isObject())) {
      targets.put(WHOLE_ANSWER, new Target(answers, false));
      return targets;
    }
    Map<String, List<String>> values = new LinkedHashMap<>();
    Map<String, Boolean> numbers = new LinkedHashMap<>();
    for (JsonNode node : parsed) {
      node.fieldNames().forEachRemaining(f -> values.putIfAbsent(f, new ArrayList<>()));
    }
    for (JsonNode node : parsed) {
      for (Map.Entry<String, List<String>> v : values.entrySet()) {
        JsonNode value = node.get(v.getKey());
        v.getValue().add(label(value));
        if (value != null && !value.isNull()) {
          numbers.merge(v.getKey(), value.isNumber(), Boolean::logicalAnd);
        }
      }
    }
    values.forEach((f, v) -> targets.put(f, new Target(v, numbers.getOrDefault(f, false))));
    return targets;
  }

  private static List<FieldModel.Score> scores(
      FieldModel model, List<String> inputs, List<String> values) {
    List<FieldModel.Score> scores = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      scores.add(model.score(inputs.get(i), null, values.get(i)));
    }
    return scores;
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
   * values the model cannot give costs {@link FieldModel#MAX_LOSS}.
   */
  private Score score(String input, String answer) {
    int[] feats = TextFeatures.hashed(input, capacity);
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
    for (Map.Entry<String, FieldModel> f : fields.entrySet()) {
      // null if not representable: then every field costs MAX_LOSS
      FieldModel.Score s = f.getValue().score(input, feats, expected.get(f.getKey()));
      loss += s.loss();
      right &= s.right();
    }
    return new Score(loss, right);
  }

  /** A copy under another id, which later training does not change. */
  FineTunedModel copy(String copyId) {
    Map<String, FieldModel> copied = new LinkedHashMap<>();
    fields.forEach((name, c) -> copied.put(name, c.copy()));
    return new FineTunedModel(copyId, capacity, copied);
  }

  /** The classifier of {@code field}, or null if another kind of model learned it. */
  SoftmaxClassifier classifier(String field) {
    return fields.get(field) instanceof SoftmaxClassifier c ? c : null;
  }

  String answer(String input) {
    if (fields.containsKey(WHOLE_ANSWER)) {
      return fields.get(WHOLE_ANSWER).predict(input);
    }
    ObjectNode out = JSON.createObjectNode();
    fields.forEach(
        (name, f) -> {
          String value = f.predict(input);
          JsonNode number = f.numbers() ? tryParse(value) : null;
          if (number != null && number.isNumber()) {
            out.set(name, number);
          } else {
            out.put(name, value);
          }
        });
    return out.toString();
  }

  void write(OutputStream os) throws IOException {
    DataOutputStream out = new DataOutputStream(os);
    out.writeUTF(""); // not an id: see FORMAT_VERSION
    out.writeInt(FORMAT_VERSION);
    out.writeUTF(id);
    out.writeUTF(capacity.name());
    out.writeInt(fields.size());
    for (Map.Entry<String, FieldModel> f : fields.entrySet()) {
      out.writeUTF(f.getKey());
      out.writeUTF(f.getValue().kind());
      f.getValue().write(out);
    }
    out.flush();
  }

  static FineTunedModel read(InputStream is) throws IOException {
    DataInputStream in = new DataInputStream(is);
    String first = in.readUTF();
    int version = first.isEmpty() ? in.readInt() : 1;
    if (version > FORMAT_VERSION) {
      throw new IOException("model file format " + version + " is newer than this provider's");
    }
    String id = version == 1 ? first : in.readUTF();
    ModelCapacity capacity = ModelCapacity.valueOf(in.readUTF());
    int n = in.readInt();
    Map<String, FieldModel> fields = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      String name = in.readUTF();
      // Version 1 had classifiers only.
      String kind = version == 1 ? "classifier" : in.readUTF();
      fields.put(name, FieldModel.read(kind, in, capacity));
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
