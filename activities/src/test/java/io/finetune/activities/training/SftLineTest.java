package io.finetune.activities.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ChatMessage;
import io.finetune.workflows.training.TrainingActivities.TrainingFileRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

class SftLineTest {
  private static final TrainingFileRequest FIELDS =
      new TrainingFileRequest(null, "Label it.", List.of("category"));

  @Test
  void aFieldsRowIsSystemUserAndTheJsonAnswerAsAlways() {
    Row row = new Row("refund", JsonNodeFactory.instance.objectNode().put("category", "billing"));

    assertEquals(
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Label it.\"},"
            + "{\"role\":\"user\",\"content\":\"refund\"},"
            + "{\"role\":\"assistant\",\"content\":\"{\\\"category\\\":\\\"billing\\\"}\"}]}",
        Rows.json(TrainingActivitiesImpl.sftLine(FIELDS, row)));
  }

  @Test
  void aChatRowsEarlierTurnsComeBeforeItsInputAndTheTextAnswer() {
    Row row =
        new Row(
            "The Visa",
            TextNode.valueOf("Refunded."),
            List.of(
                ChatMessage.user("Charged twice"), new ChatMessage("assistant", "Which card?")));

    assertEquals(
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Label it.\"},"
            + "{\"role\":\"user\",\"content\":\"Charged twice\"},"
            + "{\"role\":\"assistant\",\"content\":\"Which card?\"},"
            + "{\"role\":\"user\",\"content\":\"The Visa\"},"
            + "{\"role\":\"assistant\",\"content\":\"Refunded.\"}]}",
        Rows.json(TrainingActivitiesImpl.sftLine(FIELDS, row)));
  }
}
