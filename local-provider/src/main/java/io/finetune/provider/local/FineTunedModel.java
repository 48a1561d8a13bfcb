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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model made by a fine-tuning job: one classifier per field of the assistant's JSON answers, or
 * one over whole answers when they are not JSON objects.
 */
final class FineTunedModel {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String WHOLE_ANSWER = "";

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

  static FineTunedModel train(
      String id,
      ModelCapacity capacity,
      List<Example> examples,
      int epochs,
      long seed,
      SoftmaxClassifier.EpochListener listener) {
    Map<String, List<String>> targets = new LinkedHashMap<>();
    boolean allObjects = true;
    List<JsonNode> parsed = new ArrayList<>();
    for (Example e : examples) {
      JsonNode node = tryParse(e.answer());
      parsed.add(node);
      if (node == null || !node.isObject()) {
        allObjects = false;
      }
    }
    List<String> inputs = examples.stream().map(Example::input).toList();
    if (allObjects) {
      for (JsonNode node : parsed) {
        node.fieldNames().forEachRemaining(f -> targets.putIfAbsent(f, new ArrayList<>()));
      }
      for (JsonNode node : parsed) {
        for (Map.Entry<String, List<String>> t : targets.entrySet()) {
          JsonNode v = node.get(t.getKey());
          t.getValue()
              .add(v == null || v.isNull() ? "" : v.isTextual() ? v.asText() : v.toString());
        }
      }
    } else {
      targets.put(WHOLE_ANSWER, examples.stream().map(Example::answer).toList());
    }
    Map<String, SoftmaxClassifier> fields = new LinkedHashMap<>();
    long fieldSeed = seed;
    for (Map.Entry<String, List<String>> t : targets.entrySet()) {
      fields.put(
          t.getKey(),
          SoftmaxClassifier.train(capacity, inputs, t.getValue(), epochs, fieldSeed++, listener));
    }
    return new FineTunedModel(id, capacity, fields);
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
