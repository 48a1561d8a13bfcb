package io.finetune.provider.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Models as files: every kind of field survives, and files of the first format still load. */
class ModelFilesTest {
  private static byte[] bytes(FineTunedModel model) throws IOException {
    var out = new ByteArrayOutputStream();
    model.write(out);
    return out.toByteArray();
  }

  private static FineTunedModel read(byte[] bytes) throws IOException {
    return FineTunedModel.read(new ByteArrayInputStream(bytes));
  }

  private static FineTunedModel train(String id, List<FineTunedModel.Example> examples) {
    ModelCapacity c = ModelCapacity.MEDIUM;
    return FineTunedModel.train(
        id, c, examples, List.of(), TrainingOptions.defaults(c.defaultEpochs), 42, null);
  }

  @Test
  void everyKindOfFieldSurvivesWriteAndRead() throws IOException {
    List<FineTunedModel.Example> heldOut = new ArrayList<>(CallLogs.generate(50, 2023, true, 2));
    heldOut.addAll(CustomerMessages.generate(50, true, 2));
    for (FineTunedModel model :
        List.of(
            train("ft:local-medium:calls:1", CallLogs.generate(100, 2023, false, 1)),
            train("ft:local-medium:replies:1", CustomerMessages.generate(100, false, 1)))) {
      FineTunedModel read = read(bytes(model));

      assertEquals(model.id, read.id);
      assertEquals(model.capacity, read.capacity);
      assertEquals(
          model.fields.values().stream().map(FieldModel::kind).toList(),
          read.fields.values().stream().map(FieldModel::kind).toList());
      assertArrayEquals(bytes(model), bytes(read));
      for (var e : heldOut) {
        assertEquals(model.answer(e.input()), read.answer(e.input()), e.input());
      }
    }
  }

  /** What {@link FineTunedModel#write} wrote before model files had a version: classifiers. */
  private static byte[] firstFormat(
      String id, ModelCapacity capacity, Map<String, SoftmaxClassifier> fields) throws IOException {
    var bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
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
    return bytes.toByteArray();
  }

  @Test
  void aModelFileOfTheFirstFormatStillLoads() throws IOException {
    List<FineTunedModel.Example> tickets = new ArrayList<>();
    String[][] rows = {
      {"my invoice is wrong", "billing", "high"}, {"refund my order", "billing", "low"},
      {"the app crashes", "technical", "high"}, {"error on sync", "technical", "low"},
    };
    for (int i = 0; i < 40; i++) {
      String[] r = rows[i % rows.length];
      tickets.add(
          new FineTunedModel.Example(
              r[0] + " " + i, "{\"category\":\"" + r[1] + "\",\"priority\":\"" + r[2] + "\"}"));
    }
    FineTunedModel model = train("ft:local-medium:old:1", tickets);
    Map<String, SoftmaxClassifier> classifiers = new java.util.LinkedHashMap<>();
    model.fields.keySet().forEach(f -> classifiers.put(f, model.classifier(f)));

    FineTunedModel read = read(firstFormat(model.id, model.capacity, classifiers));

    assertEquals(model.id, read.id);
    assertArrayEquals(bytes(model), bytes(read)); // written again, in today's format
    assertEquals(
        "{\"category\":\"billing\",\"priority\":\"high\"}", read.answer("my invoice is wrong 99"));
  }

  @Test
  void aFileOfANewerFormatIsRefused() throws IOException {
    var bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeUTF("");
    out.writeInt(FineTunedModel.FORMAT_VERSION + 1);
    IOException e = assertThrows(IOException.class, () -> read(bytes.toByteArray()));
    assertEquals(
        "model file format "
            + (FineTunedModel.FORMAT_VERSION + 1)
            + " is newer than this provider's",
        e.getMessage());
  }
}
