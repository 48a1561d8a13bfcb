package io.finetune.activities.training;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.workflows.common.Failures;
import io.temporal.failure.ApplicationFailure;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds a chat-format training file to a provider's documented rules ({@link TrainingFileRules})
 * before it is uploaded, so that a bad file fails in seconds, naming its lines, instead of after an
 * upload and a queued job, or never (a provider may silently truncate a long example).
 *
 * <p>Each line must be {@code {"messages": [...]}}: roles the provider accepts, each message with
 * text content, at least one user message, and an assistant message with non-empty content last.
 * Blank lines are skipped, as providers do. The length of an example is estimated, not counted (the
 * tokenizers differ by model): a token per 4 bytes of UTF-8 text, rounded up, plus 4 tokens per
 * message for the role and separators and 3 for the reply's start, after OpenAI's cookbook ("How to
 * count tokens"). 4 bytes is about 4 characters of English (OpenAI's rule of thumb) and a little
 * more than one character of Chinese or Japanese, which take 1 to 2 tokens each.
 */
public final class TrainingFileCheck {
  /** Problems listed in a failure; the rest are counted. */
  static final int SHOWN = 5;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private TrainingFileCheck() {}

  /**
   * What the check found: the examples (non-blank lines) and the problems, one per bad line (its
   * first), after the file-wide ones; {@code problems} holds at most {@link #SHOWN} of {@code
   * problemCount}.
   */
  public record Report(long examples, List<String> problems, int problemCount) {
    public boolean ok() {
      return problemCount == 0;
    }
  }

  /**
   * Fails non-retryably ({@link Failures#TRAINING_FILE_INVALID}) when {@code file} breaks {@code
   * rules}; {@code baseModel} null skips the length check.
   */
  public static void require(
      Path file, String shownAs, String provider, TrainingFileRules rules, String baseModel) {
    Report report = check(file, rules, baseModel);
    if (report.ok()) {
      return;
    }
    int count = report.problemCount();
    StringBuilder message =
        new StringBuilder("Training file ")
            .append(shownAs)
            .append(" does not meet the rules of ")
            .append(rules.provider())
            .append(" (provider '")
            .append(provider)
            .append("'), ")
            .append(count)
            .append(count == 1 ? " problem: " : " problems: ")
            .append(String.join("; ", report.problems()));
    int more = count - report.problems().size();
    if (more > 0) {
      message.append("; and ").append(more).append(" more");
    }
    throw ApplicationFailure.newNonRetryableFailure(
        message.toString(), Failures.TRAINING_FILE_INVALID);
  }

  public static Report check(Path file, TrainingFileRules rules, String baseModel) {
    Integer context = baseModel == null ? null : rules.trainingContext(baseModel);
    List<String> fileProblems = new ArrayList<>();
    List<String> lineProblems = new ArrayList<>();
    int lineProblemCount = 0;
    long examples = 0;
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      long bytes = Files.size(file);
      if (bytes > rules.maxBytes()) {
        fileProblems.add(
            "the file has "
                + bytes
                + " bytes; "
                + rules.provider()
                + " takes at most "
                + rules.maxBytes());
      }
      // Lines are split as bytes and decoded one by one, so that bad UTF-8 is found on its line.
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      long number = 0;
      for (int b = in.read(); b != -1 || raw.size() > 0; b = in.read()) {
        if (b != -1 && b != '\n') {
          raw.write(b);
          continue;
        }
        number++;
        String problem;
        String line = null;
        try {
          line = utf8.decode(ByteBuffer.wrap(raw.toByteArray())).toString();
          problem = line.isBlank() ? null : problem(line, rules, baseModel, context);
        } catch (CharacterCodingException e) {
          problem = "not valid UTF-8";
        }
        raw.reset();
        if (line == null || !line.isBlank()) {
          examples++;
        }
        if (problem != null) {
          lineProblemCount++;
          if (lineProblems.size() < SHOWN) {
            lineProblems.add("line " + number + ": " + problem);
          }
        }
        if (b == -1) {
          break;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read training file " + file, e);
    }
    if (examples < rules.minExamples()) {
      fileProblems.add(
          0,
          examples
              + (examples == 1 ? " example" : " examples")
              + "; "
              + rules.provider()
              + " needs at least "
              + rules.minExamples());
    }
    List<String> shown = new ArrayList<>(fileProblems);
    lineProblems.stream().limit(Math.max(0, SHOWN - shown.size())).forEach(shown::add);
    return new Report(examples, List.copyOf(shown), fileProblems.size() + lineProblemCount);
  }

  /** The first problem of one example, or null. */
  static String problem(String line, TrainingFileRules rules, String baseModel, Integer context) {
    JsonNode root;
    try {
      root = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return "not valid JSON (" + e.getOriginalMessage() + ")";
    }
    JsonNode messages = root.path("messages");
    if (!root.isObject() || !messages.isArray() || messages.isEmpty()) {
      return "must be {\"messages\": [...]} with at least one message";
    }
    long tokens = 3;
    boolean user = false;
    String previous = null;
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String which = "message " + (i + 1);
      JsonNode roleNode = m.path("role");
      if (!roleNode.isTextual()) {
        return which + " has no role";
      }
      String role = roleNode.asText();
      if (!rules.roles().contains(role)) {
        return which
            + " has role '"
            + role
            + "'; "
            + rules.provider()
            + " takes "
            + String.join(", ", rules.roles());
      }
      String text = text(m.path("content"));
      if (text == null) {
        return which + " (" + role + ") has no text content";
      }
      if (rules.alternating()) {
        if (role.equals("system") && i > 0) {
          return which + " is a system message; only the first message may be one";
        }
        if (role.equals(previous)) {
          return which
              + " ("
              + role
              + ") follows another "
              + role
              + " message; after an optional system message, user and assistant must alternate";
        }
      }
      user |= role.equals("user");
      previous = role;
      tokens += 4 + (text.getBytes(StandardCharsets.UTF_8).length + 3) / 4;
    }
    if (!user) {
      return "no user message";
    }
    if (!previous.equals("assistant")) {
      return "last message must be from the assistant (was " + previous + ")";
    }
    if (text(messages.get(messages.size() - 1).path("content")).isBlank()) {
      return "the last (assistant) message is empty";
    }
    if (context != null && tokens > context) {
      return "about "
          + tokens
          + " tokens (estimated), more than the "
          + context
          + "-token training context of "
          + baseModel;
    }
    return null;
  }

  /** A message's text: a string, or the text parts of a content array; null if neither. */
  private static String text(JsonNode content) {
    if (content.isTextual()) {
      return content.asText();
    }
    if (!content.isArray()) {
      return null;
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
        return null;
      }
      text.append(part.path("text").asText());
    }
    return text.toString();
  }
}
