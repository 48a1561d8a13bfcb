package io.finetune.activities.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.dataset.DatasetCheck.LineReader;
import io.finetune.activities.dataset.DatasetCheck.Problem;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.temporal.failure.ApplicationFailure;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The import's reading of a file, line by line, shared by the import and the CLI's preflight. */
class DatasetCheckTest {
  @TempDir Path dir;

  private static final String ROW =
      "{\"input\": \"refund\", \"output\": {\"category\": \"billing\"}}";

  private ImportRequest request(Path file) {
    return new ImportRequest(
        "train", file.toString(), "input", "output", List.of("category"), true, null, null);
  }

  private Path file(byte[] bytes) throws IOException {
    return Files.write(dir.resolve("data.jsonl"), bytes);
  }

  private Path file(String text) throws IOException {
    return file(text.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> lines(LineReader in) throws IOException {
    List<String> out = new ArrayList<>();
    for (LineReader.Line l = in.next(); l != null; l = in.next()) {
      assertEquals(out.size() + 1, l.number());
      out.add(new String(l.bytes(), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static List<String> readLines(String text) throws IOException {
    List<String> out = new ArrayList<>();
    BufferedReader in = new BufferedReader(new StringReader(text));
    for (String l = in.readLine(); l != null; l = in.readLine()) {
      out.add(l);
    }
    return out;
  }

  @Test
  void linesSplitWhereBufferedReaderSplitsThemEvenAcrossItsBuffer() throws IOException {
    String pad = "x".repeat(64 * 1024 - 2);
    for (String text :
        List.of(
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb\rc\n\nd",
            "a\r",
            "a\r\r\n",
            pad + "\r\nnext\r\n", // the \r ends one buffer, the \n starts the next
            pad + "x\r\nnext",
            pad + "xx\nnext\n")) {
      LineReader in =
          new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
      assertEquals(readLines(text), lines(in), text.length() + " chars");
    }
  }

  @Test
  void aRowIsReadInTheImportsWords() throws IOException {
    DatasetCheck.Result r =
        DatasetCheck.check(request(file(ROW + "\n\n{\"input\": \"x\"}\r\n" + ROW + "\n")));

    assertFalse(r.ok());
    assertEquals(2, r.rows());
    assertEquals(
        List.of(new Problem(3, "field 'output' is missing (expected an object with category)")),
        r.problems());
    assertEquals(
        "Dataset train has 1 unreadable row(s); nothing was imported. Fix them (no row is ever"
            + " dropped silently):\n  "
            + r.path()
            + ":3: field 'output' is missing (expected an object with category)",
        r.importFailure());
  }

  @Test
  void noRowReachesTheImportAfterAProblem() throws IOException {
    List<Rows.Row> kept = new ArrayList<>();
    DatasetCheck.Result r =
        DatasetCheck.read(
            request(file(ROW + "\nnot json\n" + ROW + "\n" + ROW + "\n")), kept::add, bad -> {});

    assertEquals(1, kept.size(), "rows after a problem are checked, not kept");
    assertEquals(3, r.rows());
    assertEquals(1, r.problemCount());
  }

  @Test
  void aByteThatIsNotUtf8IsFoundOnItsLineAndTheOthersStillChecked() throws IOException {
    byte[] bad =
        "{\"input\": \"caf\u00e9\", \"output\": {}}\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] ok = (ROW + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[ok.length * 2 + bad.length + 10];
    System.arraycopy(ok, 0, all, 0, ok.length);
    System.arraycopy(bad, 0, all, ok.length, bad.length);
    System.arraycopy(ok, 0, all, ok.length + bad.length, ok.length);
    byte[] tail = "not json\n\n".getBytes(StandardCharsets.UTF_8);
    System.arraycopy(tail, 0, all, ok.length * 2 + bad.length, tail.length);

    DatasetCheck.Result r = DatasetCheck.check(request(file(all)));

    assertEquals(2, r.problemCount());
    assertEquals(
        new Problem(2, "not UTF-8 text (byte 0xE9 at byte 15 of the line): save the file as UTF-8"),
        r.problems().get(0));
    assertEquals(4, r.problems().get(1).line());
  }

  @Test
  void aSecondValueOnALineIsRefusedNotDropped() throws IOException {
    DatasetActivitiesImpl activities = new DatasetActivitiesImpl(new ArtifactStore(dir));
    Path p = file(ROW + " " + ROW.replace("refund", "invoice") + "\n");

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> activities.importDataset(request(p)));

    assertTrue(
        f.getOriginalMessage()
            .contains(
                p
                    + ":1: more than one JSON value on the line (another starts at column "
                    + (ROW.length() + 2)
                    + "): one object per line"),
        f.getOriginalMessage());
  }

  @Test
  void aMissingFileAndAFileWithoutRowsAreTheFilesProblems() throws IOException {
    DatasetCheck.Result missing = DatasetCheck.check(request(dir.resolve("nope.jsonl")));
    assertEquals("no such dataset file (train)", missing.fileProblem());
    assertEquals(
        dir.resolve("nope.jsonl") + ": no such dataset file (train)", missing.importFailure());

    DatasetCheck.Result blank = DatasetCheck.check(request(file(" \n\n")));
    assertEquals("the dataset has no rows (its 2 line(s) are blank)", blank.fileProblem());
    assertNull(DatasetCheck.check(request(file(ROW))).importFailure());
  }
}
