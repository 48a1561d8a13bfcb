package io.finetune.activities.dataset;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.finetune.activities.dataset.DatasetActivitiesImpl.RowProblem;
import io.finetune.activities.dataset.DatasetActivitiesImpl.RowReader;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A dataset file read by the import's rules, one line at a time (never the whole file in memory):
 * UTF-8 text, one JSON object per line, and each row checked by {@link RowReader} (the spec's
 * format or the one the first row shows, the input and output fields, chat turns). The import keeps
 * the rows it reads; the CLI's preflight ({@code ./finetune start}, {@code eval}) only counts them,
 * so that a file the run would refuse is refused before the run starts, in the same words.
 */
public final class DatasetCheck {
  /** The problems an error lists; the others are counted. */
  static final int MAX_PROBLEMS_SHOWN = 20;

  /**
   * A longer line is not read, nor kept in memory: no example of a fine-tuning dataset is this
   * long, and a file without line breaks (a JSON array, a binary file) must not be read whole.
   */
  static final int MAX_LINE_BYTES = 16 * 1024 * 1024;

  private static final Pattern SOURCE =
      Pattern.compile("\\[Source: [^;\\]]*; line: \\d+, column: (\\d+)\\]");

  /** What Jackson lists after "expected a valid value". */
  private static final String ANY_VALUE =
      " (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

  private DatasetCheck() {}

  /** A row that cannot be read: its line (1-based) and why. */
  public record Problem(int line, String reason) {}

  /** A row that cannot be read, with its text when it is text (null: not UTF-8). */
  public record Invalid(int line, String reason, String text) {}

  /**
   * What reading {@code path} found: {@code fileProblem} when the file as a whole cannot be read
   * (missing, compressed, UTF-16, no rows), else the first {@value #MAX_PROBLEMS_SHOWN} rows that
   * cannot be ({@code problemCount} counts them all) and the rows that can.
   */
  public record Result(
      String name,
      String path,
      int rows,
      String fileProblem,
      List<Problem> problems,
      int problemCount,
      boolean reviewsInvalidRows) {
    public Result {
      problems = List.copyOf(problems);
    }

    /**
     * True when the import takes the file: every row readable, or with {@code dataset.invalidRows:
     * review} some rows readable (the others go to the data review).
     */
    public boolean ok() {
      return fileProblem == null && (problemCount == 0 || (reviewsInvalidRows && rows > 0));
    }

    /** Each problem shown as {@code path:line: reason}, then how many more there are. */
    public List<String> problemLines() {
      List<String> out = new ArrayList<>();
      if (fileProblem != null) {
        out.add(path + ": " + fileProblem);
        return out;
      }
      problems.forEach(p -> out.add(path + ":" + p.line() + ": " + p.reason()));
      if (problemCount > problems.size()) {
        out.add("... and " + (problemCount - problems.size()) + " more");
      }
      return out;
    }

    /** Why the import refuses the file (the activity's failure message); null when it does not. */
    public String importFailure() {
      if (ok()) {
        return null;
      }
      if (fileProblem != null) {
        return path + ": " + fileProblem;
      }
      return "Dataset "
          + name
          + " has "
          + problemCount
          + " unreadable row(s); nothing was imported. Fix them (no row is ever dropped"
          + " silently):\n  "
          + String.join("\n  ", problemLines());
    }
  }

  /** Checks the file of {@code r} as its import would, keeping no row. */
  public static Result check(ImportRequest r) {
    return read(r, row -> {}, invalid -> {});
  }

  /**
   * Reads the file of {@code r}, handing each row to {@code rows} until a problem shows (the rows
   * after it would not be imported, so they are only checked; with {@code invalidRows: review},
   * every readable row), and each row that cannot be read to {@code invalid}. An I/O error is
   * thrown as such.
   */
  static Result read(ImportRequest r, Consumer<Row> rows, Consumer<Invalid> invalid) {
    Path file = Path.of(r.path());
    if (!Files.isRegularFile(file)) {
      return fileProblem(r, "no such dataset file (" + r.name() + ")");
    }
    RowReader reader = new RowReader(r);
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    List<Problem> problems = new ArrayList<>();
    int problemCount = 0;
    int count = 0;
    int lines = 0;
    try (LineReader in = new LineReader(Files.newInputStream(file))) {
      for (LineReader.Line line = in.next(); line != null; line = in.next()) {
        lines = line.number();
        String problem;
        if (line.number() == 1 && (problem = wholeFileProblem(line.bytes())) != null) {
          return fileProblem(r, problem);
        }
        String text = null;
        try {
          text = text(line, utf8);
          if (text.isBlank()) {
            continue;
          }
          Row row = reader.read(json(text), line.number());
          count++;
          if (problemCount == 0 || r.reviewsInvalidRows()) {
            rows.accept(row);
          }
        } catch (RowProblem e) {
          if (problemCount++ < MAX_PROBLEMS_SHOWN) {
            problems.add(new Problem(line.number(), e.getMessage()));
          }
          invalid.accept(new Invalid(line.number(), e.getMessage(), text));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (problemCount == 0 && count == 0) {
      return fileProblem(
          r,
          "the dataset has no rows ("
              + (lines == 0 ? "the file is empty" : "its " + lines + " line(s) are blank")
              + ")");
    }
    return new Result(
        r.name(), r.path(), count, null, problems, problemCount, r.reviewsInvalidRows());
  }

  private static Result fileProblem(ImportRequest r, String problem) {
    return new Result(r.name(), r.path(), 0, problem, List.of(), 0, r.reviewsInvalidRows());
  }

  /** What the first bytes of a file say it is, when that is not text to read line by line. */
  private static String wholeFileProblem(byte[] first) {
    if (startsWith(first, 0xFF, 0xFE) || startsWith(first, 0xFE, 0xFF)) {
      return "the file is UTF-16 text (it starts with a UTF-16 byte order mark): save it as UTF-8";
    }
    if (startsWith(first, 0x1F, 0x8B)) {
      return "the file is gzip-compressed: decompress it first";
    }
    return null;
  }

  private static boolean startsWith(byte[] bytes, int b0, int b1) {
    return bytes != null && bytes.length >= 2 && (bytes[0] & 0xFF) == b0 && (bytes[1] & 0xFF) == b1;
  }

  /** A line's text: UTF-8, without a byte order mark or NUL bytes, not too long. */
  private static String text(LineReader.Line line, CharsetDecoder utf8) throws RowProblem {
    if (line.bytes() == null) {
      throw new RowProblem(
          "the line is "
              + line.length()
              + " bytes long, over the limit of "
              + MAX_LINE_BYTES
              + " (one JSON object per line, each line one example)");
    }
    utf8.reset();
    ByteBuffer in = ByteBuffer.wrap(line.bytes());
    CharBuffer out = CharBuffer.allocate(line.bytes().length);
    CoderResult result = utf8.decode(in, out, true);
    if (result.isError()) {
      throw new RowProblem(
          String.format(
              Locale.ROOT,
              "not UTF-8 text (byte 0x%02X at byte %d of the line): save the file as UTF-8",
              line.bytes()[in.position()] & 0xFF,
              in.position() + 1));
    }
    utf8.flush(out);
    String text = out.flip().toString();
    if (text.startsWith("\uFEFF")) {
      throw new RowProblem(
          "the line starts with a byte order mark (U+FEFF): save the file as UTF-8 without BOM");
    }
    if (text.indexOf('\0') >= 0) {
      throw new RowProblem(
          "the line holds NUL bytes (is the file UTF-16 or binary?): save it as UTF-8 text");
    }
    return text;
  }

  /** One JSON value, and nothing after it: a second value on the line would be lost. */
  private static JsonNode json(String text) throws RowProblem {
    try (JsonParser parser = Rows.JSON.createParser(text)) {
      JsonNode node = Rows.JSON.readTree(parser);
      if (node == null) {
        throw new RowProblem("not valid JSON (no value on the line)");
      }
      if (parser.nextToken() != null) {
        throw new RowProblem(
            "more than one JSON value on the line (another starts at column "
                + parser.currentTokenLocation().getColumnNr()
                + "): one object per line");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new RowProblem("not valid JSON (" + jsonError(e) + ")");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Jackson's message with its source locations as columns of the line. */
  private static String jsonError(JsonProcessingException e) {
    String message =
        SOURCE.matcher(e.getOriginalMessage()).replaceAll("column $1").replace(ANY_VALUE, "");
    JsonLocation at = e.getLocation();
    return at == null || at.getColumnNr() < 1
        ? message
        : message + ", at column " + at.getColumnNr();
  }

  /**
   * Lines of bytes, split where {@link java.io.BufferedReader#readLine} splits them ({@code \n},
   * {@code \r\n} or {@code \r}), so that line numbers are an editor's; decoded one line at a time,
   * so that a byte that is not UTF-8 is found on its line. A line over {@link #MAX_LINE_BYTES} is
   * skipped, not kept.
   */
  static final class LineReader implements AutoCloseable {
    /** A line's bytes (null when over the limit) and length in bytes. */
    @SuppressWarnings("ArrayRecordComponent") // a carrier, never compared: no copy per line
    record Line(int number, byte[] bytes, long length) {}

    private final InputStream in;
    private final byte[] buffer = new byte[64 * 1024];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int pos;
    private int end;
    private int number;
    private boolean skipNewline;

    LineReader(InputStream in) {
      this.in = in;
    }

    /** The next line, null at the end of the file. */
    Line next() throws IOException {
      line.reset();
      long length = 0;
      boolean any = false;
      while (true) {
        if (pos == end) {
          end = in.read(buffer, 0, buffer.length);
          pos = 0;
          if (end <= 0) {
            end = 0;
            return any ? done(length) : null;
          }
        }
        if (skipNewline) {
          skipNewline = false;
          if (buffer[pos] == '\n') {
            pos++;
            continue;
          }
        }
        any = true;
        int start = pos;
        while (pos < end && buffer[pos] != '\n' && buffer[pos] != '\r') {
          pos++;
        }
        length += pos - start;
        if (length <= MAX_LINE_BYTES) {
          line.write(buffer, start, pos - start);
        }
        if (pos < end) {
          skipNewline = buffer[pos] == '\r';
          pos++;
          return done(length);
        }
      }
    }

    private Line done(long length) {
      number++;
      return new Line(number, length <= MAX_LINE_BYTES ? line.toByteArray() : null, length);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
