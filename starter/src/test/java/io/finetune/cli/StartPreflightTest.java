package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.activities.dataset.DatasetActivitiesImpl;
import io.finetune.activities.spec.SpecLoader;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.cli.CliInProcessTest.Result;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.dataset.SpecImports;
import io.finetune.workflows.spec.PipelineSpec;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./finetune start} in-process on a spec pointing at each file of a corpus of malformed
 * datasets ({@code src/test/resources/preflight/malformed}): exit 2 before anything connects, the
 * file, the line and the reason, no stack trace; and the run's import, given the same spec, refuses
 * the same rows in the same words (one set of rules, {@code DatasetCheck}). Valid files pass.
 */
class StartPreflightTest {
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  @TempDir static Path dir;

  /** Nothing listens here: a command that got past the preflight says so. */
  private static String noServer;

  private static Path corpus;

  @BeforeAll
  static void setUp() throws IOException, URISyntaxException {
    noServer = "127.0.0.1:" + CliInProcessTest.freePort();
    corpus = Path.of(StartPreflightTest.class.getResource("/preflight").toURI());
  }

  /** How the spec reads its dataset: the task, the format, the input field. */
  enum Kind {
    /** task fields, the format detected from the first row. */
    FIELDS("", "outputFields: [category, priority]\n"),
    FORMAT_FIELDS("  format: fields\n", "outputFields: [category, priority]\n"),
    JSON_STRING("  format: json-string\n", "outputFields: [category, priority]\n"),
    CHAT("  format: chat\n", "outputFields: [category, priority]\n"),
    TEXT("", "task: text\n"),
    CHAT_TEXT("  format: chat\n", "task: text\n"),
    /** The spec's input field is {@code question}. */
    QUESTION("  inputField: question\n", "outputFields: [category, priority]\n");

    final String dataset;
    final String task;

    Kind(String dataset, String task) {
      this.dataset = dataset;
      this.task = task;
    }
  }

  /**
   * A malformed file, how the spec reads it, the line of its first problem (0: the file as a whole)
   * and the start of the reason; {@code problems}: how many rows the error counts.
   */
  record Case(String file, Kind kind, int line, String reason, int problems) {
    Case(String file, Kind kind, int line, String reason) {
      this(file, kind, line, reason, line == 0 ? 0 : 1);
    }
  }

  private static final String FIELDS_OBJECT = "an object with category, priority";

  static final List<Case> CASES =
      List.of(
          new Case("empty.jsonl", Kind.FIELDS, 0, "the dataset has no rows (the file is empty)"),
          new Case(
              "blank-lines-only.jsonl",
              Kind.FIELDS,
              0,
              "the dataset has no rows (its 4 line(s) are blank)"),
          new Case("not-json.jsonl", Kind.FIELDS, 3, "not valid JSON (Unrecognized token 'this'"),
          new Case(
              "row-is-json-array.jsonl",
              Kind.FIELDS,
              2,
              "expected a JSON object per line, was array"),
          new Case(
              "row-is-json-string.jsonl",
              Kind.FIELDS,
              1,
              "expected a JSON object per line, was string"),
          new Case(
              "row-is-null.jsonl", Kind.FIELDS, 2, "expected a JSON object per line, was null"),
          new Case(
              "whole-file-json-array.jsonl",
              Kind.FIELDS,
              1,
              "not valid JSON (Unexpected end-of-input: expected close marker for Array",
              3), // line 3 holds a whole object: a row
          new Case(
              "pretty-printed-object.jsonl",
              Kind.FIELDS,
              1,
              "not valid JSON (Unexpected end-of-input: expected close marker for Object",
              7),
          new Case(
              "missing-input.jsonl", Kind.FIELDS, 3, "field 'input' is missing or not a string"),
          new Case(
              "input-not-a-string.jsonl",
              Kind.FIELDS,
              1,
              "field 'input' is missing or not a string"),
          new Case("input-empty.jsonl", Kind.FIELDS, 2, "field 'input' is empty"),
          new Case(
              "input-under-another-name.jsonl",
              Kind.QUESTION,
              1,
              "field 'question' is missing or not a string",
              2),
          new Case(
              "missing-output.jsonl",
              Kind.FIELDS,
              2,
              "field 'output' is missing (expected " + FIELDS_OBJECT + ")"),
          new Case(
              "output-null.jsonl",
              Kind.FIELDS,
              1,
              "field 'output' is missing (expected " + FIELDS_OBJECT + ")"),
          new Case(
              "output-string-for-format-fields.jsonl",
              Kind.FORMAT_FIELDS,
              1,
              "field 'output' must be "
                  + FIELDS_OBJECT
                  + ", was string (dataset.format fields; answers written as JSON strings:"
                  + " dataset.format json-string)"),
          new Case(
              "output-number.jsonl",
              Kind.FIELDS,
              2,
              "field 'output' must be "
                  + FIELDS_OBJECT
                  + ", was number (format fields, detected from line 1)"),
          new Case(
              "output-array.jsonl",
              Kind.FIELDS,
              1,
              "field 'output' must be "
                  + FIELDS_OBJECT
                  + ", was array (format fields, detected from line 1)"),
          new Case(
              "json-string-not-json.jsonl",
              Kind.JSON_STRING,
              2,
              "field 'output' must hold a JSON object with category, priority (dataset.format"
                  + " json-string)"),
          new Case(
              "json-string-holds-array.jsonl",
              Kind.JSON_STRING,
              1,
              "field 'output' must hold a JSON object with category, priority (dataset.format"
                  + " json-string)"),
          new Case(
              "json-string-given-an-object.jsonl",
              Kind.JSON_STRING,
              2,
              "field 'output' must be a string holding a JSON object with category, priority"
                  + " (dataset.format json-string), was object"),
          new Case(
              "text-answer-is-an-object.jsonl",
              Kind.TEXT,
              1,
              "field 'output' must be text (format fields, detected from line 1), was object"),
          new Case(
              "chat-without-assistant.jsonl",
              Kind.CHAT,
              2,
              "messages has no assistant message (expected the answer last)"),
          new Case(
              "chat-wrong-role.jsonl",
              Kind.CHAT,
              1,
              "messages[1] must have a role (system, user, assistant) and a string content"),
          new Case(
              "chat-content-not-a-string.jsonl",
              Kind.CHAT,
              1,
              "messages[1] must have a role (system, user, assistant) and a string content"),
          new Case(
              "chat-messages-not-an-array.jsonl",
              Kind.CHAT,
              1,
              "expected field 'messages', a non-empty array of {role, content} (dataset.format"
                  + " chat)"),
          new Case(
              "chat-messages-empty.jsonl",
              Kind.CHAT,
              2,
              "expected field 'messages', a non-empty array of {role, content} (dataset.format"
                  + " chat)"),
          new Case(
              "chat-no-user-before-answer.jsonl",
              Kind.CHAT,
              1,
              "messages[0] must be the user message before the answer"),
          new Case(
              "chat-turn-after-answer.jsonl",
              Kind.CHAT,
              1,
              "messages[2] follows the last assistant message (the answer)"),
          new Case(
              "chat-answer-not-json.jsonl",
              Kind.CHAT,
              1,
              "messages[2] (the answer) must hold a JSON object with category, priority"
                  + " (dataset.format chat)"),
          new Case("chat-input-empty.jsonl", Kind.CHAT_TEXT, 1, "messages[0] (the input) is empty"),
          new Case(
              "mixed-objects-then-json-strings.jsonl",
              Kind.FIELDS,
              3,
              "field 'output' must be "
                  + FIELDS_OBJECT
                  + ", was string (format fields, detected from line 1; answers written as JSON"
                  + " strings: dataset.format json-string)"),
          new Case(
              "mixed-fields-then-chat.jsonl",
              Kind.FIELDS,
              2,
              "expected field 'input' (format fields, detected from line 1), found a chat row"),
          new Case(
              "mixed-chat-then-fields.jsonl",
              Kind.FIELDS,
              2,
              "expected field 'messages', a non-empty array of {role, content} (format chat,"
                  + " detected from line 1)"),
          new Case(
              "byte-order-mark.jsonl",
              Kind.FIELDS,
              1,
              "the line starts with a byte order mark (U+FEFF): save the file as UTF-8 without"
                  + " BOM"),
          new Case(
              "merge-conflict-markers.jsonl",
              Kind.FIELDS,
              2,
              "not valid JSON (Unexpected character ('<' (code 60))",
              3),
          new Case(
              "truncated-last-line.jsonl",
              Kind.FIELDS,
              3,
              "not valid JSON (Unexpected end-of-input: was expecting closing quote for a string value"),
          new Case(
              "two-objects-on-one-line.jsonl",
              Kind.FIELDS,
              2,
              "more than one JSON value on the line (another starts at column "),
          new Case(
              "garbage-after-the-object.jsonl",
              Kind.FIELDS,
              1,
              "not valid JSON (Unrecognized token 'xyz'"),
          new Case(
              "trailing-comma.jsonl",
              Kind.FIELDS,
              1,
              "not valid JSON (Unexpected character ('}' (code 125))"),
          new Case(
              "python-dict.jsonl",
              Kind.FIELDS,
              1,
              "not valid JSON (Unexpected character (''' (code 39))"),
          new Case(
              "raw-tab-in-a-string.jsonl",
              Kind.FIELDS,
              1,
              "not valid JSON (Illegal unquoted character ((CTRL-CHAR, code 9))"),
          new Case(
              "deeply-nested.jsonl", Kind.FIELDS, 2, "not valid JSON (Document nesting depth ("),
          new Case("nan-value.jsonl", Kind.FIELDS, 1, "not valid JSON (Non-standard token 'NaN'"),
          new Case(
              "latin-1-bytes.jsonl",
              Kind.FIELDS,
              2,
              "not UTF-8 text (byte 0xE9 at byte 25 of the line): save the file as UTF-8"),
          new Case(
              "utf-16-with-bom.jsonl",
              Kind.FIELDS,
              0,
              "the file is UTF-16 text (it starts with a UTF-16 byte order mark): save it as"
                  + " UTF-8"),
          new Case(
              "utf-16-without-bom.jsonl",
              Kind.FIELDS,
              1,
              "the line holds NUL bytes (is the file UTF-16 or binary?): save it as UTF-8 text",
              3),
          new Case(
              "gzip-compressed.jsonl",
              Kind.FIELDS,
              0,
              "the file is gzip-compressed: decompress it first"),
          new Case(
              "crlf-missing-output.jsonl",
              Kind.FIELDS,
              3,
              "field 'output' is missing (expected " + FIELDS_OBJECT + ")"),
          new Case(
              "many-bad-rows.jsonl",
              Kind.FIELDS,
              1,
              "field 'output' is missing (expected " + FIELDS_OBJECT + ")",
              30));

  /** A spec of {@code kind} reading {@code data}, with {@code evalSet} as an eval set if given. */
  static String specText(Kind kind, Path data, Path evalSet) {
    return "name: preflight\n"
        + "dataset:\n"
        + "  path: "
        + data
        + "\n"
        + kind.dataset
        + kind.task
        + (evalSet == null ? "" : "evalSets:\n  - name: corner-cases\n    path: " + evalSet + "\n")
        + "prompt: Triage the ticket.\n"
        + "target:\n  score: 0.9\n"
        + "model:\n  promptModel: local-large\n";
  }

  private static Path spec(String name, Kind kind, Path data, Path evalSet) throws IOException {
    return Files.writeString(dir.resolve(name + ".yaml"), specText(kind, data, evalSet));
  }

  /** A malformed file of the corpus. */
  static Path malformed(String file) throws URISyntaxException {
    return Path.of(StartPreflightTest.class.getResource("/preflight/malformed/" + file).toURI());
  }

  private static Result start(Path spec) {
    return CliInProcessTest.cli("start", spec.toString(), "--address", noServer);
  }

  /** What the error says, where the file or a row is named: file:line: reason. */
  private static String named(Path file, int line, String reason) {
    return line == 0 ? file + ": " + reason : file + ":" + line + ": " + reason;
  }

  /** The lines of a refusal that name a file, a row, or how many more there are. */
  private static List<String> problemLines(String err) {
    return err.lines().filter(l -> l.startsWith("    ")).map(String::strip).toList();
  }

  private static void assertRefusedBeforeStarting(Result r) {
    assertEquals(2, r.exit(), r.all());
    assertEquals("", r.out());
    assertTrue(
        r.err()
            .startsWith(
                "error: the run would fail at its import, so it was not started (checked before"
                    + " starting; --no-preflight skips the check):\n"),
        r.all());
    assertFalse(r.err().contains("No Temporal server"), "refused before connecting:\n" + r.all());
    CliInProcessTest.assertNoStackTrace(r);
    assertFalse(r.err().contains("Exception"), r.all());
  }

  /** The import activity's failure for the spec's import {@code request}. */
  private static String importFailure(ImportRequest request) {
    DatasetActivitiesImpl activities =
        new DatasetActivitiesImpl(new ArtifactStore(dir.resolve("store")));
    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> activities.importDataset(request));
    assertTrue(f.isNonRetryable(), f.getOriginalMessage());
    return f.getOriginalMessage();
  }

  @Test
  void theCorpusHasACaseForEachOfItsFiles() throws IOException {
    Set<String> files;
    try (Stream<Path> list = Files.list(corpus.resolve("malformed"))) {
      files =
          list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
    Set<String> cases =
        CASES.stream().map(Case::file).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(files, cases);
    assertTrue(files.size() >= 25, files.size() + " files");
  }

  @TestFactory
  Stream<DynamicTest> eachMalformedFileIsRefusedWithFileLineAndReasonAsTheImportRefusesIt() {
    return CASES.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.file(),
                    () -> {
                      Path data = corpus.resolve("malformed").resolve(c.file());
                      Path spec = spec(c.file(), c.kind(), data, null);

                      Result r = start(spec);

                      assertRefusedBeforeStarting(r);
                      // The run's import, on the same spec, refuses the same rows in the same
                      // words.
                      String failure = importFailure(SpecImports.dataset(SpecLoader.load(spec)));
                      if (c.line() == 0) {
                        assertTrue(
                            r.err().contains("\n  dataset: " + named(data, 0, c.reason())),
                            r.all());
                        assertTrue(r.err().contains("\n  dataset: " + failure + "\n"), failure);
                        return;
                      }
                      assertTrue(
                          r.err().contains("\n  dataset: " + c.problems() + " unreadable row(s)\n"),
                          r.all());
                      assertTrue(
                          r.err().contains("\n    " + named(data, c.line(), c.reason())), r.all());
                      for (String line : problemLines(r.err())) {
                        assertTrue(failure.contains(line), line + "\nnot in\n" + failure);
                      }
                    }));
  }

  @Test
  void theFirstTwentyProblemsAreShownAndTheOthersCounted() throws IOException {
    Path data = corpus.resolve("malformed/many-bad-rows.jsonl");
    Result r = start(spec("many", Kind.FIELDS, data, null));

    assertRefusedBeforeStarting(r);
    List<String> lines = problemLines(r.err());
    assertEquals(21, lines.size(), r.all());
    assertEquals(
        named(data, 1, "field 'output' is missing (expected " + FIELDS_OBJECT + ")"), lines.get(0));
    assertFalse(r.err().contains(data + ":7:"), "line 7 is a good row:\n" + r.all());
    assertEquals("... and 10 more", lines.get(20));
  }

  @Test
  void aHugeLineIsRefusedWithoutBeingReadWholeOrEchoed() throws IOException {
    Path data = dir.resolve("huge.jsonl");
    try (OutputStream out = Files.newOutputStream(data)) {
      byte[] chunk = "x".repeat(1 << 20).getBytes(StandardCharsets.US_ASCII);
      out.write("{\"input\": \"".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < 17; i++) {
        out.write(chunk);
      }
      out.write("\"}\n".getBytes(StandardCharsets.US_ASCII));
      out.write(
          "{\"input\": \"a\", \"output\": {\"category\": \"b\", \"priority\": \"c\"}}\n"
              .getBytes(StandardCharsets.US_ASCII));
    }

    Result r = start(spec("huge", Kind.FIELDS, data, null));

    assertRefusedBeforeStarting(r);
    assertTrue(
        r.err()
            .contains(
                named(data, 1, "the line is " + (17 * (1 << 20) + 13) + " bytes long, over the")),
        r.all());
    assertTrue(r.err().contains("\n  dataset: 1 unreadable row(s)\n"), r.all());
    assertTrue(r.err().length() < 2_000, "the line is not echoed: " + r.err().length() + " chars");
  }

  @Test
  void aBadEvalSetIsNamedByTheSpecsNameForIt() throws IOException {
    Path good = corpus.resolve("valid/fields.jsonl");
    Path bad = corpus.resolve("malformed/missing-output.jsonl");
    Path empty = corpus.resolve("malformed/empty.jsonl");
    Path spec = spec("eval-set", Kind.FIELDS, good, bad);

    Result r = start(spec);

    assertRefusedBeforeStarting(r);
    assertFalse(r.err().contains("\n  dataset"), "the dataset is fine:\n" + r.all());
    assertTrue(
        r.err()
            .contains(
                "\n  eval set corner-cases: 1 unreadable row(s)\n    "
                    + named(bad, 2, "field 'output' is missing")),
        r.all());
    String failure = importFailure(SpecImports.evalSets(SpecLoader.load(spec)).get(0));
    assertTrue(failure.contains(problemLines(r.err()).get(0)), failure);

    // Both files bad: both are named, the dataset first.
    Result both = start(spec("both", Kind.FIELDS, empty, bad));
    assertRefusedBeforeStarting(both);
    assertTrue(
        both.err().indexOf("\n  dataset: " + empty + ": the dataset has no rows")
            < both.err().indexOf("\n  eval set corner-cases: 1 unreadable row(s)"),
        both.all());
  }

  @Test
  void evalChecksTheSameFilesBeforeStarting() throws IOException {
    Path bad = corpus.resolve("malformed/chat-wrong-role.jsonl");
    Path spec = spec("eval-command", Kind.CHAT, bad, null);

    Result r =
        CliInProcessTest.cli(
            "eval", spec.toString(), "--model", "local-large", "--address", noServer);

    assertRefusedBeforeStarting(r);
    assertTrue(r.err().contains(named(bad, 1, "messages[1] must have a role")), r.all());
  }

  /**
   * A valid file of each kind passes, and the run's import takes it too ({@code CliInProcessTest}
   * starts a run of one on a server).
   */
  @TestFactory
  Stream<DynamicTest> validFilesPass() {
    record Valid(String file, Kind kind, int rows) {}
    return Stream.of(
            new Valid("fields.jsonl", Kind.FIELDS, 3),
            new Valid("fields.jsonl", Kind.FORMAT_FIELDS, 3),
            new Valid("json-string.jsonl", Kind.FIELDS, 2),
            new Valid("json-string.jsonl", Kind.JSON_STRING, 2),
            new Valid("chat.jsonl", Kind.FIELDS, 2),
            new Valid("chat.jsonl", Kind.CHAT, 2),
            new Valid("text.jsonl", Kind.TEXT, 2),
            new Valid("crlf.jsonl", Kind.FIELDS, 2),
            // A missing output field is no import error: the data review shows it, to relabel.
            new Valid("missing-output-field.jsonl", Kind.FIELDS, 2))
        .map(
            v ->
                DynamicTest.dynamicTest(
                    v.file() + " as " + v.kind(),
                    () -> {
                      Path data = corpus.resolve("valid").resolve(v.file());
                      PipelineSpec spec =
                          SpecLoader.load(spec(v.kind() + "-" + v.file(), v.kind(), data, data));

                      List<Preflight.Checked> checked = Preflight.check(spec);

                      assertEquals(
                          "  preflight: dataset "
                              + v.rows()
                              + " rows, eval set corner-cases "
                              + v.rows()
                              + " rows, all readable",
                          Preflight.summary(checked));
                      List<ImportRequest> imports = new ArrayList<>();
                      imports.add(SpecImports.dataset(spec));
                      imports.addAll(SpecImports.evalSets(spec));
                      for (ImportRequest request : imports) {
                        assertEquals(
                            v.rows(),
                            new DatasetActivitiesImpl(new ArtifactStore(dir.resolve("store")))
                                .importDataset(request)
                                .rows());
                      }
                    }));
  }

  @Test
  void theBundledExamplesPass() throws IOException {
    try (Stream<Path> examples = Files.list(REPO.resolve("examples"))) {
      List<Path> specs =
          examples.map(e -> e.resolve("spec.yaml")).filter(Files::isRegularFile).sorted().toList();
      assertTrue(specs.size() >= 3, specs.toString());
      for (Path spec : specs) {
        List<Preflight.Checked> checked = Preflight.check(SpecLoader.load(spec));
        assertTrue(checked.get(0).result().rows() > 0, spec.toString());
        assertTrue(
            Preflight.summary(checked).startsWith("  preflight: dataset "),
            Preflight.summary(checked));
      }
    }
  }
}
