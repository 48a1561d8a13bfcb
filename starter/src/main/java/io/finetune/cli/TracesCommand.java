package io.finetune.cli;

import io.finetune.activities.registry.RegistryActivitiesImpl;
import io.finetune.gateway.TraceRows;
import io.finetune.gateway.TraceRows.Line;
import io.finetune.gateway.TraceRows.TraceRow;
import io.finetune.workflows.common.Names;
import io.finetune.workflows.registry.RegistryActivities.ModelVersion;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The gateway's traces as data, read from the worker's database without Temporal. */
@Command(
    name = "traces",
    mixinStandardHelpOptions = true,
    description = "The gateway's traces as data (in the worker's database).",
    subcommands = {TracesCommand.Export.class})
class TracesCommand {

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Writes a dataset from the answered traces of MODEL (every version) and their corrections,"
            + " redacted a second time with today's rules (built-in and"
            + " finetune.gateway.redaction).",
        "A corrected trace is a labeled row: its input, and the latest correction as the answer."
            + " A trace nobody corrected is left out (what the model said is not a label), unless"
            + " --include-unlabeled: then it is written without an answer."
      })
  static class Export implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "Registry name of the model")
    String model;

    @Option(
        names = "--since",
        required = true,
        description =
            "Traces from this time: a date or instant (2026-11-01, 2026-11-01T08:00:00Z) or a"
                + " duration back from now (24h, 7d, PT6H, P30D)")
    String since;

    @Option(
        names = "--until",
        description = "Traces before this time, written as --since (default: now)")
    String until;

    @Option(
        names = "--format",
        description =
            "chat: OpenAI chat fine-tuning lines {\"messages\": [...]} (the messages sent, the"
                + " correction as the assistant's answer); fields: the model's dataset format"
                + " (its spec's input and output fields). Default: ${DEFAULT-VALUE}")
    String format = "fields";

    @Option(names = "--out", required = true, description = "The JSONL file to write")
    Path out;

    @Option(
        names = "--include-unlabeled",
        description = "Also write the traces nobody corrected, without an answer")
    boolean includeUnlabeled;

    @Mixin WorkerHome home;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (!format.equals("chat") && !format.equals("fields")) {
        throw new UserError("--format must be chat or fields, not '" + format + "'");
      }
      if (!Names.isValid(model)) {
        throw new UserError("'" + model + "' is not a model name: " + Names.RULE);
      }
      Instant now = Instant.now();
      Instant from = when("--since", since, now);
      Instant to = until == null ? now : when("--until", until, now);
      if (!from.isBefore(to)) {
        throw new UserError("--since (" + from + ") must be before --until (" + to + ")");
      }
      try (WorkerDatabase db = home.open()) {
        ModelVersion current = new RegistryActivitiesImpl(db.dataSource()).find(model);
        if (current == null) {
          throw new UserError(
              "No model called '"
                  + model
                  + "' has been promoted: the gateway records traces of registry models only");
        }
        if (format.equals("fields") && current.spec() == null) {
          throw new UserError(model + " has no spec in the registry: use --format chat");
        }
        return write(
            rows ->
                TraceRows.each(
                    db.dataSource(),
                    db.redactor(),
                    model,
                    from.toEpochMilli(),
                    to.toEpochMilli(),
                    rows),
            current,
            from,
            to);
      }
    }

    /** The traces, streamed: {@code source} hands each to its argument and returns the count. */
    private int write(
        java.util.function.ToIntFunction<java.util.function.Consumer<TraceRow>> source,
        ModelVersion current,
        Instant from,
        Instant to) {
      int[] labeled = {0};
      int[] unlabeled = {0};
      int[] left = {0};
      int[] unusable = {0};
      int read;
      Path target = out.toAbsolutePath();
      try {
        Files.createDirectories(target.getParent());
        Path tmp =
            Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
          read =
              source.applyAsInt(
                  row -> {
                    Line line =
                        format.equals("chat")
                            ? TraceRows.inChatFormat(row)
                            : TraceRows.inModelFormat(row, current.spec());
                    unusable[0] += line.unusableFix() ? 1 : 0;
                    if (!line.labeled() && !includeUnlabeled) {
                      left[0]++;
                      return;
                    }
                    if (line.labeled()) {
                      labeled[0]++;
                    } else {
                      unlabeled[0]++;
                    }
                    try {
                      w.write(line.json().toString());
                      w.write('\n');
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  });
        } catch (IOException | RuntimeException e) {
          Files.deleteIfExists(tmp);
          throw e;
        }
        // Whole or not at all: a reader never sees half a file.
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + target + ": " + e.getMessage(), e);
      }
      PrintWriter o = spec.commandLine().getOut();
      o.printf(
          Locale.ROOT,
          "Wrote %d rows to %s (%s): %d corrected traces as labeled rows%s.%n",
          labeled[0] + unlabeled[0],
          target,
          format.equals("chat") ? "chat" : "the dataset format of " + current.name(),
          labeled[0],
          includeUnlabeled ? ", " + unlabeled[0] + " uncorrected traces without an answer" : "");
      o.printf(
          Locale.ROOT,
          "  from %d answered traces of %s (every version) from %s to %s, redacted again%n",
          read,
          current.name(),
          from,
          to);
      if (left[0] > 0) {
        o.printf(
            Locale.ROOT,
            "  %d traces nobody corrected were left out (--include-unlabeled writes them without"
                + " an answer)%n",
            left[0]);
      }
      if (unusable[0] > 0) {
        o.printf(
            Locale.ROOT,
            "  %d corrections are not a JSON object of the answer's fields: those traces are"
                + " unlabeled%n",
            unusable[0]);
      }
      return 0;
    }
  }

  private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)([smhdw])");

  /**
   * A date, a date-time (UTC unless it says otherwise), or a duration back from {@code now}: {@code
   * 24h}, {@code 7d}, ISO-8601's {@code PT6H} or {@code P30D}.
   */
  static Instant when(String option, String value, Instant now) {
    String v = value.trim();
    Matcher m = SHORT_DURATION.matcher(v.toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d =
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
          };
      return now.minus(d);
    }
    try {
      if (v.startsWith("P") || v.startsWith("p")) {
        return now.minus(Duration.parse(v));
      }
      if (v.length() == 10) {
        return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      try {
        return OffsetDateTime.parse(v).toInstant();
      } catch (DateTimeParseException e) {
        return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
      }
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new UserError(
          option
              + " '"
              + value
              + "' is neither a date or time (2026-11-01, 2026-11-01T08:00:00Z) nor a duration"
              + " back from now (24h, 7d, PT6H, P30D)");
    }
  }
}
