package io.finetune.cli.examples;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Generates the call-log example: notes of phone calls to a heating and plumbing company, answered
 * {@code {"caller", "callback_date", "reason"}}. Each note starts with the day it was logged
 * ({@code [2023-03-14]}) and gives the call-back day without a year ("March 21", "3/21", "Tuesday,
 * March 21"), as people write them: the year is the log's. A model tuned on the 2023 logs has only
 * ever seen 2023 in its answers, so "always 2023" fits its data as well as "the log's year", and on
 * the 2024 batch it keeps writing 2023: everything else about the batch looks like training, which
 * is why only a statistic of the date field's values (a year never seen in training) catches it.
 * Retrained with 2024 rows added, only the log's year fits every answer. Seeded: {@code ./finetune
 * generate-example --example call-logs} writes the same files every time.
 */
public final class CallLogGenerator {
  public static final String NAME = "call-logs";
  public static final long SEED = 2023;
  static final int TRAIN_ROWS = 600;
  static final int CORNER_ROWS = 40;
  static final int PRODUCTION_ROWS = 250;
  static final int STABLE_ROWS = 200;
  static final int JUDGED_PAIRS = 40;

  /** Every file this generator writes. */
  public static final List<String> FILES =
      List.of(
          "spec.yaml",
          "train.jsonl",
          "corner-cases.jsonl",
          "production-2024.jsonl",
          "stable-2023.jsonl",
          "judge-alignment.jsonl");

  static final List<String> REASONS =
      List.of("billing", "appointment", "repair", "cancellation", "quote");

  static final String SPEC =
      """
      # Call logs: read the note of a phone call, answer {"caller": ..., "callback_date": ...,
      # "reason": ...}. Trained on 2023 logs; production-2024.jsonl is a 2024 batch whose notes
      # name the call-back day without a year, as the 2023 ones do: a model that only saw 2023 in
      # its answers keeps writing 2023. stable-2023.jsonl is a batch like the training data (no
      # drift). Written by ./finetune generate-example --example call-logs (seeded).
      # Paths are relative to this file. Every field is described in README.md ("The pipeline spec").
      name: call-logs
      dataset:
        path: train.jsonl
        inputField: input
        outputField: output
      outputFields:
        caller: text
        callback_date: date
        reason: category
      evalSets:
        - name: corner-cases
          path: corner-cases.jsonl
      prompt: |
        You read notes of phone calls to a heating and plumbing company and record who called, the day \
      they want a call back and why.
        Answer with a JSON object {"caller": ..., "callback_date": ..., "reason": ...}: the caller's \
      full name as the note writes it, the call-back day as YYYY-MM-DD.
        reason:
        - billing (default): invoice, bill, charge, refund, payment
        - appointment: appointment, reschedule, booking, visit
        - repair: broken, not working, leak, noise, error
        - cancellation: cancel, ending, closing, terminate
        - quote: quote, price, estimate, cost
      target:
        metric: exact_match
        score: 0.90
        reason: quality
      model:
        sizes: [small, medium]
        promptModel: local-large
      provider: local
      split:
        testFraction: 0.10
        seed: 7
      # The judge compares each candidate's answers with the baseline's, pair by pair and in both
      # orders; its agreement with people is measured on judge-alignment.jsonl first.
      judge:
        model: local-judge
        rubric: >-
          The answer with the caller's name as the note writes it, the right call-back date (year
          included) and the right reason is better.
        maxPairs: 100
        alignment: judge-alignment.jsonl
      approval:
        approvers: []
      drift:
        maxNewVocabularyRate: 0.05
        maxLabelDistance: 0.10
        maxOutOfRangeRate: 0.05
        maxDomainAuc: 0.75
        maxCategories: 50
        minAccuracy: 0.80
        freshHoldoutFraction: 0.2
      """;

  private static final int[] REASON_WEIGHTS = {30, 25, 25, 10, 10};

  // What the call was about, as a noun phrase ("called about ..."), per reason. Some carry another
  // reason's cue word ("a refund for the cancelled visit"), as real notes do.
  private static final Map<String, List<String>> ISSUES =
      Map.of(
          "billing",
          List.of(
              "a charge on the last invoice that looks wrong",
              "being billed twice for the same service visit",
              "a refund for the cancelled visit that hasn't come through",
              "the autopay payment that bounced",
              "the amount on the annual service bill",
              "a late payment fee that doesn't seem fair",
              "a copy of the invoice for the new radiator"),
          "appointment",
          List.of(
              "rescheduling the engineer's visit",
              "booking the annual boiler service",
              "moving the appointment to a later week",
              "confirming the time of the site visit",
              "booking a safety inspection for the apartment",
              "an engineer who didn't turn up for the booked slot"),
          "repair",
          List.of(
              "the boiler not working since the weekend",
              "a leak under the kitchen sink",
              "the heating making a banging noise at night",
              "an error code flashing on the thermostat",
              "no hot water in the upstairs bathroom",
              "a radiator that stays cold",
              "low pressure on the boiler again"),
          "cancellation",
          List.of(
              "cancelling the service contract",
              "ending the maintenance plan when it renews",
              "closing the account after moving out",
              "terminating the boiler coverage for the rental unit"),
          "quote",
          List.of(
              "a quote for a new tankless water heater",
              "the price of a bathroom remodel",
              "an estimate for replacing three radiators",
              "what a landlord service plan would cost",
              "a quote for moving the boiler to the attic"));

  private static final List<String> FIRST_NAMES =
      List.of(
          "Mary",
          "Patrick",
          "Siobhan",
          "Aisha",
          "Tomás",
          "Wei",
          "Priya",
          "James",
          "Olga",
          "Kwame",
          "Hannah",
          "Luis",
          "Fatima",
          "George",
          "Mei-Ling",
          "Jean-Luc",
          "Anne-Marie",
          "Dmitri",
          "Grace",
          "Omar",
          "Ingrid",
          "Rosa",
          "Ben",
          "Chloe",
          "Yusuf",
          "Nadia",
          "Connor",
          "Sofia",
          "Ahmed",
          "Zoë",
          "Ruth",
          "Karl",
          "Maeve",
          "Daniel",
          "Amara",
          "Lukas",
          "Ewa",
          "Rahul",
          "Helen",
          "Marco");

  private static final List<String> LAST_NAMES =
      List.of(
          "O'Brien",
          "O'Neill",
          "D'Angelo",
          "O'Connor",
          "N'Diaye",
          "Dell'Orto",
          "McAllister",
          "Smith-Jones",
          "Fraser-Lee",
          "Price-Williams",
          "Moreno-Díaz",
          "Nguyen",
          "Okafor",
          "García",
          "Schmidt",
          "Kowalski",
          "Patel",
          "Chen",
          "Haddad",
          "MacLeod",
          "Fitzgerald",
          "Lindqvist",
          "Van der Berg",
          "De Souza",
          "Baker",
          "Thompson",
          "Murphy",
          "Walsh",
          "Hughes",
          "Evans",
          "Kaur",
          "Rossi",
          "Novak",
          "Brennan",
          "Adeyemi",
          "Yilmaz",
          "Santos",
          "Ferreira",
          "Kelly",
          "Byrne");

  private static final List<String> COMPANIES =
      List.of(
          "Harbor Property Management", "Brightside Dental", "Northgate Realty", "Elm Court Café");

  // Who took the call: names no caller has, so that a model has to tell them apart.
  private static final List<String> STAFF = List.of("Sam", "Jo", "Dev", "Pat");

  // How a note says "call back on <day>"; {date} is a day without a year.
  private static final List<String> NOTES =
      List.of(
          "{time} - {caller} called about {issue}. Please call back on {date}.",
          "Missed call from {caller}{phone}. Voicemail about {issue}; asks for a call back on"
              + " {date}.",
          "Caller: {caller}\nRe: {issue}\nCall back: {date}",
          "Spoke to {caller} about {issue}. Away until {date}, call back then.",
          "{caller} called at {time} regarding {issue}. Best day to reach them: {date}.",
          "Voicemail {time}: \"Hi, this is {caller}, I'm calling about {issue}. Could you call me"
              + " back on {date}? Thanks.\"",
          "{caller} phoned - {issue}. Wants a call back on {date}{phone}.",
          "Call back {caller} on {date} re {issue}.");
  private static final int[] NOTE_WEIGHTS = {20, 12, 12, 10, 12, 12, 12, 10};

  private final Draws draws;

  private CallLogGenerator(long seed) {
    this.draws = new Draws(seed);
  }

  /** Writes {@link #FILES} into {@code dir}. */
  public static void generate(Path dir) throws IOException {
    Files.createDirectories(dir);
    CallLogGenerator g = new CallLogGenerator(SEED);
    Files.writeString(dir.resolve("spec.yaml"), SPEC, StandardCharsets.UTF_8);
    g.writeCalls(dir.resolve("train.jsonl"), TRAIN_ROWS, 2023);
    g.writeRows(dir.resolve("corner-cases.jsonl"), CORNER_ROWS, g::cornerCase);
    g.writeCalls(dir.resolve("production-2024.jsonl"), PRODUCTION_ROWS, 2024);
    g.writeCalls(dir.resolve("stable-2023.jsonl"), STABLE_ROWS, 2023);
    try (Writer w =
        Files.newBufferedWriter(dir.resolve("judge-alignment.jsonl"), StandardCharsets.UTF_8)) {
      for (int i = 0; i < JUDGED_PAIRS; i++) {
        g.writeJudgedPair(w, i % 5 == 4);
      }
    }
  }

  /** One logged call and what it should be read as. */
  record Call(String note, String caller, LocalDate callback, String reason) {
    ObjectNode row() {
      ObjectNode row = Draws.JSON.createObjectNode().put("input", note);
      row.putObject("output")
          .put("caller", caller)
          .put("callback_date", callback.toString())
          .put("reason", reason);
      return row;
    }
  }

  /**
   * {@code rows} calls logged in {@code year}, with the same mix of reasons in every file (drawn in
   * a shuffled order): the batches differ from training in their years and nothing else, so that a
   * label distance cannot be what flags them.
   */
  private void writeCalls(Path file, int rows, int year) throws IOException {
    List<String> reasons = new ArrayList<>();
    for (int i = 1; i < REASONS.size(); i++) {
      reasons.addAll(Collections.nCopies(rows * REASON_WEIGHTS[i] / 100, REASONS.get(i)));
    }
    // The most common reason takes what rounding left over.
    reasons.addAll(Collections.nCopies(rows - reasons.size(), REASONS.get(0)));
    for (int i = reasons.size() - 1; i > 0; i--) {
      Collections.swap(reasons, i, draws.between(0, i));
    }
    Iterator<String> next = reasons.iterator();
    writeRows(file, rows, () -> noisy(call(year, next.next())));
  }

  private void writeRows(Path file, int rows, Supplier<Call> next) throws IOException {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 0; i < rows; i++) {
        Draws.writeLine(w, next.get().row());
      }
    }
  }

  /** A call logged in {@code year}, asking for a call back on a working day of that year. */
  private Call call(int year, String reason) {
    String caller = caller();
    LocalDate day = workingDay(year);
    String written = caller + (draws.chance(10) ? " from " + draws.pick(COMPANIES) : "");
    String note =
        fill(draws.pick(NOTES, NOTE_WEIGHTS), written, draws.pick(ISSUES.get(reason)), day);
    if (draws.chance(30)) {
      String staff = draws.pick(STAFF);
      note +=
          note.contains("\n")
              ? "\nTaken by: " + staff
              : draws.coin() ? " - taken by " + staff : " (logged by " + staff + ")";
    }
    return new Call(logged(day) + note, caller, day, reason);
  }

  /** Labels carry the odd judgement call of whoever filed them: two in a hundred differ. */
  private Call noisy(Call c) {
    return draws.chance(2) ? new Call(c.note, c.caller, c.callback, draws.pick(REASONS)) : c;
  }

  /**
   * Notes that trip simple rules: two days named, a title or a "last, first" name, someone calling
   * for someone else, a reason's cue word negated, a hurried lower-case note, ordinal days, and the
   * name only at the end of a voicemail. All from 2023, like the training data.
   */
  private Call cornerCase() {
    String reason = draws.pick(REASONS, REASON_WEIGHTS);
    String issue = draws.pick(ISSUES.get(reason));
    String first = draws.pick(FIRST_NAMES);
    String last = draws.pick(LAST_NAMES);
    String caller = first + " " + last;
    LocalDate day = workingDay(2023);
    String note =
        switch (draws.between(0, 7)) {
          case 0 -> {
            LocalDate other = workingDay(2023);
            while (other.equals(day)) {
              other = workingDay(2023);
            }
            yield caller
                + " can't do "
                + mention(other)
                + " after all; call back on "
                + mention(day)
                + " instead. It's about "
                + issue
                + ".";
          }
          case 1 -> fill(draws.pick(NOTES, NOTE_WEIGHTS), "Dr. " + caller, issue, day);
          case 2 ->
              caller
                  + " called on behalf of "
                  + caller()
                  + " about "
                  + issue
                  + ". Call back on "
                  + mention(day)
                  + ".";
          case 3 ->
              "Caller: " + last + ", " + first + "\nRe: " + issue + "\nCall back: " + mention(day);
          case 4 -> {
            // Another reason's cue word, denied: the call is about the repair.
            reason = "repair";
            yield caller
                + " says it's not about the bill this time: "
                + draws.pick(ISSUES.get("repair"))
                + ". Call back on "
                + mention(day)
                + ".";
          }
          case 5 ->
              "cb " + caller.toLowerCase(Locale.ROOT) + " " + shortMention(day) + " - " + issue;
          case 6 ->
              caller
                  + " called about "
                  + issue
                  + ". Call back "
                  + day.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH)
                  + " the "
                  + ordinal(day.getDayOfMonth())
                  + " of "
                  + month(day)
                  + ".";
          default ->
              "Voicemail: \"Hello, it's about "
                  + issue
                  + ". Could someone call me back on "
                  + mention(day)
                  + "? It's "
                  + caller
                  + ", thanks.\"";
        };
    return new Call(logged(day) + note, caller, day, reason);
  }

  /**
   * One pair for measuring the judge's agreement with people: the right answer to a 2023 note and a
   * wrong one (the wrong year, day, reason, or a mangled name) with the verdict a reviewer gives:
   * the right answer wins; two right answers tie. {@code same}: both answers are the right one.
   */
  private void writeJudgedPair(Writer w, boolean same) throws IOException {
    Call c = call(2023, draws.pick(REASONS, REASON_WEIGHTS));
    ObjectNode right = (ObjectNode) c.row().get("output");
    ObjectNode wrong = right.deepCopy();
    switch (draws.between(0, 3)) {
      case 0 -> wrong.put("callback_date", c.callback.withYear(2022).toString());
      case 1 -> wrong.put("callback_date", c.callback.plusDays(1).toString());
      case 2 ->
          wrong.put(
              "reason", draws.pick(REASONS.stream().filter(r -> !r.equals(c.reason)).toList()));
      default ->
          wrong.put(
              "caller",
              c.caller.contains("'") ? c.caller.replace("'", "") : c.caller.split(" ", -1)[0]);
    }
    boolean rightFirst = draws.coin();
    ObjectNode pair = Draws.JSON.createObjectNode().put("input", c.note);
    pair.set("reference", right);
    pair.put("a", Draws.JSON.writeValueAsString(same || rightFirst ? right : wrong));
    pair.put("b", Draws.JSON.writeValueAsString(same || !rightFirst ? right : wrong));
    pair.put("human", same ? "tie" : rightFirst ? "a" : "b");
    Draws.writeLine(w, pair);
  }

  /**
   * The log line's date: the call came in up to a week before the call-back day, in the same year
   * (the call-back days start on January 3rd).
   */
  private String logged(LocalDate callback) {
    LocalDate day = callback.minusDays(draws.between(1, 7));
    if (day.getYear() != callback.getYear()) {
      day = callback.withDayOfYear(1);
    }
    return "[" + day + "] ";
  }

  private String caller() {
    return draws.pick(FIRST_NAMES) + " " + draws.pick(LAST_NAMES);
  }

  private String fill(String note, String caller, String issue, LocalDate day) {
    return note.replace("{caller}", caller)
        .replace("{issue}", issue)
        .replace("{date}", mention(day))
        .replace("{time}", time())
        .replace("{phone}", draws.chance(40) ? " on 555-0" + draws.between(100, 199) : "");
  }

  /** A working day between early January and just before Christmas. */
  private LocalDate workingDay(int year) {
    LocalDate start = LocalDate.of(year, 1, 3);
    LocalDate end = LocalDate.of(year, 12, 20);
    while (true) {
      LocalDate d = start.plusDays(draws.between(0, (int) (end.toEpochDay() - start.toEpochDay())));
      if (d.getDayOfWeek() != DayOfWeek.SATURDAY && d.getDayOfWeek() != DayOfWeek.SUNDAY) {
        return d;
      }
    }
  }

  /** The day as people write it, never with its year: "March 21", "3/21", "Tue 3/21", ... */
  private String mention(LocalDate d) {
    String month = month(d);
    String weekday = d.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    int day = d.getDayOfMonth();
    return switch (draws.pick(List.of(0, 1, 2, 3, 4, 5, 6, 7), 25, 15, 15, 10, 10, 10, 8, 7)) {
      case 0 -> month + " " + day;
      case 1 -> month.substring(0, 3) + " " + day;
      case 2 -> d.getMonthValue() + "/" + day;
      case 3 -> "the " + ordinal(day) + " of " + month;
      case 4 -> day + " " + month;
      case 5 -> weekday + ", " + month + " " + day;
      case 6 -> weekday.substring(0, 3) + " " + d.getMonthValue() + "/" + day;
      default -> month + " " + ordinal(day);
    };
  }

  private String shortMention(LocalDate d) {
    return draws.coin()
        ? d.getMonthValue() + "/" + d.getDayOfMonth()
        : month(d).substring(0, 3).toLowerCase(Locale.ROOT) + " " + d.getDayOfMonth();
  }

  /** When the call came in, on a 12-hour clock: "2:37 pm", "9:05am", "11:20 AM". */
  private String time() {
    int hour = draws.between(8, 17);
    int minute = draws.between(0, 59);
    String half = draws.pick(List.of(" pm", "pm", " PM"));
    return String.format(
        Locale.ROOT,
        "%d:%02d%s",
        hour > 12 ? hour - 12 : hour,
        minute,
        hour >= 12 ? half : half.replace('p', 'a').replace('P', 'A'));
  }

  private static String month(LocalDate d) {
    return d.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
  }

  static String ordinal(int day) {
    String suffix =
        day % 100 >= 11 && day % 100 <= 13
            ? "th"
            : switch (day % 10) {
              case 1 -> "st";
              case 2 -> "nd";
              case 3 -> "rd";
              default -> "th";
            };
    return day + suffix;
  }

  public static void main(String[] args) throws IOException {
    generate(Path.of(args.length > 0 ? args[0] : "examples/" + NAME));
  }
}
