package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.cli.CliInProcessTest.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./finetune eval} in-process against what {@code ./finetune dev --embedded} runs: the
 * embedded Temporal server and the real worker (Spring wiring, real activities, the local provider
 * answering without its simulated latency, the registry's database). The bundled example is
 * evaluated twice, the second time with a changed prompt, so that run over run has rows to show.
 */
class CliEvalTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path REPO = Path.of("..").toAbsolutePath().normalize();

  @TempDir static Path dir;
  private static DevEnvironment dev;

  @BeforeAll
  static void startServerAndWorker() {
    dev =
        DevEnvironment.start(
            0,
            dir.resolve("home"),
            true,
            true,
            Map.of(
                "finetune.local-provider.latency.small", "0ms",
                "finetune.local-provider.latency.medium", "0ms",
                "finetune.local-provider.latency.large", "0ms",
                "finetune.metrics.port", "-1"),
            line -> {});
  }

  @AfterAll
  static void stop() {
    if (dev != null) {
      dev.close();
    }
  }

  private static Result eval(String... args) {
    List<String> all = new ArrayList<>(List.of("eval"));
    all.addAll(List.of(args));
    all.add("--address");
    all.add(dev.target());
    return CliInProcessTest.cli(all.toArray(String[]::new));
  }

  private static Path spec(String file, String prompt) throws IOException {
    String text = ExampleSpec.withAbsolutePaths(REPO);
    if (prompt != null) {
      text = text.replace("- billing: invoice, refund, charged, payment, bill", prompt);
    }
    return Files.writeString(dir.resolve(file), text);
  }

  @Test
  void evalAgainstASecondModelPrintsScoresJudgeAndRunOverRun() throws Exception {
    Path spec = spec("spec.yaml", null);
    Result first =
        eval(
            spec.toString(),
            "--model",
            "local-large",
            "--against",
            "local-small",
            "--id",
            "eval-1");

    assertEquals(0, first.exit(), first.all());
    String out = first.out();
    assertTrue(out.startsWith("Started eval-1 (EvalRun, run "), out);
    assertTrue(
        out.contains(
            "eval-1 (EvalRun ticket-triage): local-large against local-small, 300 labeled test rows"),
        out);
    assertTrue(
        Pattern.compile("\\n  SET +MODEL +exact_match +95% interval +vs local-small +95% interval")
            .matcher(out)
            .find(),
        out);
    assertTrue(
        Pattern.compile(
                "\\n  test +local-large +0\\.\\d{3} +0\\.\\d{3} to 0\\.\\d{3} +[+-]0\\.\\d{3} +[+-]0\\.\\d{3} to [+-]0\\.\\d{3}")
            .matcher(out)
            .find(),
        out);
    assertTrue(
        Pattern.compile("\\n  corner-cases +local-small +0\\.\\d{3}").matcher(out).find(), out);
    assertTrue(out.contains("\n  judge local-judge: "), out);
    assertTrue(out.contains("alignment: agreement "), out);
    assertTrue(
        out.contains("local-large on test: no earlier run of this spec evaluated it on this set"),
        out);

    // The prompt loses its billing keywords: billing tickets now fall to the default category.
    Path changed = spec("changed.yaml", "- billing: invoice");
    Result second = eval(changed.toString(), "--model", "local-large", "--id", "eval-2");

    assertEquals(0, second.exit(), second.all());
    Matcher m =
        Pattern.compile(
                "\\n    local-large on test: exact_match (\\d\\.\\d{3}) -> (\\d\\.\\d{3}),"
                    + " [+-]\\d\\.\\d{3} \\(95% interval [+-]\\d\\.\\d{3} to [+-]\\d\\.\\d{3}\\);"
                    + " (\\d+) rows? right->wrong, (\\d+) wrong->right\\n      vs eval-1 \\(run"
                    + " [0-9a-f-]{8} at [0-9T:Z-]+\\), another prompt; rows: (\\S+)\\n")
            .matcher(second.out());
    assertTrue(m.find(), second.out());
    assertTrue(Double.parseDouble(m.group(2)) < Double.parseDouble(m.group(1)), m.group());
    int rightToWrong = Integer.parseInt(m.group(3));
    assertTrue(rightToWrong > 0, m.group());
    List<String> rows = Files.readAllLines(Path.of(m.group(5)));
    assertEquals(rightToWrong + Integer.parseInt(m.group(4)), rows.size());
    JsonNode row = JSON.readTree(rows.get(0));
    assertTrue(
        row.has("input") && row.has("expected") && row.has("previousAnswer") && row.has("answer"),
        row.toString());
    assertTrue(second.out().contains("local-large on corner-cases: exact_match "), second.out());
    assertTrue(second.out().contains("note: judge local-judge not run"), second.out());

    // status shows the same table for an eval's id.
    Result status = CliInProcessTest.cli("status", "eval-2", "--address", dev.target());
    assertEquals(0, status.exit(), status.all());
    assertTrue(status.out().contains("eval-2 (EvalRun ticket-triage): local-large"), status.out());
    assertTrue(status.out().contains("      vs eval-1 (run "), status.out());
  }

  @Test
  void aModelTheProviderDoesNotKnowFailsWithTheProvidersMessage() throws Exception {
    Result r =
        eval(
            spec("unknown.yaml", null).toString(), "--model", "local-huge", "--id", "eval-unknown");

    assertEquals(2, r.exit(), r.all());
    assertTrue(
        r.err().contains("error: eval-unknown failed: Provider 'local' answered 404"), r.all());
    assertTrue(r.err().contains("The model 'local-huge' does not exist"), r.all());
    CliInProcessTest.assertNoStackTrace(r);
  }

  @Test
  void anUnknownSpecFileExitsTwoWithTheLoadersMessage() {
    Result r =
        CliInProcessTest.cli(
            "eval",
            dir.resolve("nope.yaml").toString(),
            "--model",
            "m",
            "--address",
            "127.0.0.1:1");
    assertEquals(2, r.exit(), r.all());
    assertEquals("error: " + dir.resolve("nope.yaml") + ": no such spec file", r.err().strip());
    assertEquals("", r.out());
  }

  @Test
  void aModelAgainstItselfIsRefusedBeforeAnythingStarts() throws Exception {
    Result r =
        CliInProcessTest.cli(
            "eval",
            spec("self.yaml", null).toString(),
            "--model",
            "m",
            "--against",
            "m",
            "--address",
            "127.0.0.1:1");
    assertEquals(2, r.exit(), r.all());
    assertTrue(r.err().contains("--against names the model being evaluated"), r.all());
  }
}
