package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ChatMessage;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every dataset format imports into the pipeline's own rows; rows that disagree are named. */
class DatasetFormatsTest {
  @TempDir Path dir;
  private ArtifactStore store;
  private DatasetActivitiesImpl activities;

  @BeforeEach
  void setUp() {
    store = new ArtifactStore(dir.resolve("store"));
    activities = new DatasetActivitiesImpl(store);
  }

  private int files;

  private Path file(String... lines) throws IOException {
    return Files.write(dir.resolve("data-" + ++files + ".jsonl"), List.of(lines));
  }

  private List<Row> importRows(Path p, String format, String task) {
    DatasetRef ref =
        activities.importDataset(
            new ImportRequest(
                "train",
                p.toString(),
                "input",
                "output",
                task == null ? List.of("category") : List.of(),
                true,
                format,
                task));
    return Rows.read(store, ref);
  }

  private String importError(Path p, String format, String task) {
    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> importRows(p, format, task));
    assertTrue(f.isNonRetryable());
    return f.getOriginalMessage();
  }

  private static final String CHAT_ROW =
      """
      {"messages": [{"role": "system", "content": "You file tickets."},\
       {"role": "user", "content": "My card was charged twice"},\
       {"role": "assistant", "content": "Which card?"},\
       {"role": "user", "content": "The Visa"},\
       {"role": "assistant", "content": "%s"}]}""";

  @Test
  void aUsersOwnContextFieldIsNotTakenForChatTurns() throws IOException {
    Path p =
        file(
            "{\"input\": \"refund\", \"output\": {\"category\": \"billing\"},"
                + " \"context\": [\"doc 1\", \"doc 2\"]}",
            "{\"input\": \"refund\", \"output\": {\"category\": \"billing\"},"
                + " \"context\": [{\"role\": \"user\", \"content\": \"hi\"}]}");

    List<Row> rows = importRows(p, "fields", null);

    assertEquals(List.of(), rows.get(0).context(), "retrieved documents are not chat turns");
    assertEquals(1, rows.get(1).context().size(), "the pipeline's own context is kept");
  }

  @Test
  void objectsAndJsonStringsBecomeTheSameRows() throws IOException {
    Path objects = file("{\"input\": \"refund\", \"output\": {\"category\": \"billing\"}}");
    Path strings =
        file("{\"input\": \"refund\", \"output\": \"{\\\"category\\\": \\\"billing\\\"}\"}");

    List<Row> fromStrings = importRows(strings, "json-string", null);

    assertEquals(importRows(objects, "fields", null), fromStrings);
    assertEquals("billing", fromStrings.get(0).value("category"));
  }

  @Test
  void aJsonStringThatIsNoObjectIsARowErrorWithFileLineAndField() throws IOException {
    Path p =
        file(
            "{\"input\": \"a\", \"output\": \"{\\\"category\\\": \\\"x\\\"}\"}",
            "{\"input\": \"b\", \"output\": \"billing\"}");

    String m = importError(p, null, null);

    assertTrue(
        m.contains(
            p
                + ":2: field 'output' must hold a JSON object with category (format json-string,"
                + " detected from line 1)"),
        m);
  }

  @Test
  void textAnswersStayText() throws IOException {
    List<Row> rows =
        importRows(
            file("{\"input\": \"Reset my password\", \"output\": \"Use the link.\"}"),
            null,
            "text");

    assertEquals("Use the link.", rows.get(0).answerText());
    assertTrue(rows.get(0).output().isTextual());
    assertTrue(rows.get(0).context().isEmpty());
  }

  @Test
  void aChatRowKeepsItsEarlierTurnsAsContext() throws IOException {
    Path p = file(CHAT_ROW.formatted("{\\\"category\\\": \\\"billing\\\"}"));

    Row fields = importRows(p, null, null).get(0);
    Row text = importRows(file(CHAT_ROW.formatted("Refunded.")), "chat", "text").get(0);

    assertEquals("The Visa", fields.input());
    assertEquals("billing", fields.value("category"));
    List<ChatMessage> context =
        List.of(
            ChatMessage.system("You file tickets."),
            ChatMessage.user("My card was charged twice"),
            new ChatMessage("assistant", "Which card?"));
    assertEquals(context, fields.context());
    assertEquals("Refunded.", text.answerText());
    assertEquals(context, text.context());
    // The row's own system message replaces the spec's prompt; the input comes last.
    List<ChatMessage> sent = text.messages("Spec prompt");
    assertEquals("You file tickets.", sent.get(0).content());
    assertEquals(ChatMessage.user("The Visa"), sent.get(sent.size() - 1));
    assertEquals(4, sent.size());
  }

  @Test
  void aChatAnswerOfAFieldsTaskMustBeAJsonObject() throws IOException {
    String m = importError(file(CHAT_ROW.formatted("billing")), "chat", null);

    assertTrue(
        m.contains(
            ":1: messages[4] (the answer) must hold a JSON object with category (dataset.format"
                + " chat)"),
        m);
  }

  @Test
  void theFormatIsDetectedFromTheFirstRow() {
    ImportRequest fields =
        new ImportRequest("t", "p", "input", "output", List.of("c"), true, null, null);
    ImportRequest text =
        new ImportRequest("t", "p", "input", "output", List.of(), true, null, "text");

    assertEquals("chat", DatasetActivitiesImpl.detect(node("{\"messages\": []}"), fields));
    assertEquals("fields", DatasetActivitiesImpl.detect(node("{\"output\": {}}"), fields));
    assertEquals("json-string", DatasetActivitiesImpl.detect(node("{\"output\": \"{}\"}"), fields));
    assertEquals("text", DatasetActivitiesImpl.detect(node("{\"output\": \"hi\"}"), text));
    assertEquals(null, DatasetActivitiesImpl.detect(node("{\"input\": \"unlabeled\"}"), fields));
  }

  @Test
  void rowsThatDisagreeWithTheDetectedFormatNameFileLineAndWhatWasExpected() throws IOException {
    Path p =
        file(
            "{\"input\": \"a\", \"output\": {\"category\": \"x\"}}",
            "{\"input\": \"b\", \"output\": \"{\\\"category\\\": \\\"y\\\"}\"}",
            CHAT_ROW.formatted("{\\\"category\\\": \\\"z\\\"}"));

    String m = importError(p, null, null);

    assertTrue(
        m.contains(
            p
                + ":2: field 'output' must be an object with category, was string (format"
                + " fields, detected from line 1; answers written as JSON strings:"
                + " dataset.format json-string)"),
        m);
    assertTrue(
        m.contains(
            p
                + ":3: expected field 'input' (format fields, detected from line 1), found a"
                + " chat row"),
        m);
    assertFalse(Files.exists(dir.resolve("store/datasets")), "nothing imported");
  }

  @Test
  void aChatFileWithAnOrdinaryRowSaysItExpectedMessages() throws IOException {
    Path p = file(CHAT_ROW.formatted("Refunded."), "{\"input\": \"b\", \"output\": \"Done.\"}");

    String m = importError(p, null, "text");

    assertTrue(
        m.contains(
            p
                + ":2: expected field 'messages', a non-empty array of {role, content} (format"
                + " chat, detected from line 1)"),
        m);
  }

  @Test
  void theContextSurvivesTheStoreAndAReimport() throws IOException {
    List<Row> rows = importRows(file(CHAT_ROW.formatted("Refunded.")), "chat", "text");
    DatasetRef stored = Rows.write(store, "again", rows);

    // A retraining imports the pipeline's own rows: the context comes along.
    assertEquals(rows, importRows(store.existing(stored.path()), null, "text"));
  }

  private static com.fasterxml.jackson.databind.JsonNode node(String json) {
    try {
      return Rows.JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
