package io.finetune.provider.local;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Answers a date field (ISO {@code yyyy-MM-dd}) with the date the input mentions (see {@link
 * DateMentions}), normalized. What it learns from the training rows, in one pass:
 *
 * <ul>
 *   <li>the year of mentions written without one: the latest year among the training answers whose
 *       mention had no year (the latest of all answers if every mention had one) — or, when that
 *       explains strictly fewer training answers, the year another date in the input carries (a log
 *       line's own date, say). The simpler rule wins a tie: trained on 2023 logs only, both explain
 *       every answer, so it writes 2023 for "March 21" whatever year it is asked in, as a tuned
 *       model does (the talk's failure); trained again with 2024 rows added, only the input's year
 *       explains them all, and it reads the year from the input;
 *   <li>whether 3/5 is March 5 or 3 May: the reading that matches more training answers (month
 *       first on a tie);
 *   <li>which mention, when there are several: the first or the last, whichever matches more
 *       training answers (the first on a tie);
 *   <li>the answer when the input mentions no date: the most common such training answer, usually
 *       empty (empty when no training input lacked a mention).
 * </ul>
 */
final class DateExtractor implements FieldModel {
  final int defaultYear;
  final boolean dayFirst;
  final boolean lastMention;
  final String noMention;
  final boolean yearFromInput;

  DateExtractor(int defaultYear, boolean dayFirst, boolean lastMention, String noMention) {
    this(defaultYear, dayFirst, lastMention, noMention, false);
  }

  DateExtractor(
      int defaultYear,
      boolean dayFirst,
      boolean lastMention,
      String noMention,
      boolean yearFromInput) {
    this.defaultYear = defaultYear;
    this.dayFirst = dayFirst;
    this.lastMention = lastMention;
    this.noMention = noMention;
    this.yearFromInput = yearFromInput;
  }

  static DateExtractor learn(List<String> inputs, List<String> values) {
    int yearless = 0;
    int latest = 0;
    int monthFirstVotes = 0;
    int dayFirstVotes = 0;
    int firstVotes = 0;
    int lastVotes = 0;
    Map<String, Integer> withoutMention = new TreeMap<>();
    // Per answer to a year-less mention in an input that carries a year elsewhere: both years.
    List<int[]> answerAndInputYears = new java.util.ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      List<DateMentions.Mention> mentions = DateMentions.find(inputs.get(i));
      if (mentions.isEmpty()) {
        withoutMention.merge(values.get(i), 1, Integer::sum);
      }
      LocalDate answer = parse(values.get(i));
      if (answer == null) {
        continue;
      }
      latest = Math.max(latest, answer.getYear());
      for (int m = 0; m < mentions.size(); m++) {
        DateMentions.Mention mention = mentions.get(m);
        boolean asMonthFirst = mention.couldBe(answer, false);
        boolean asDayFirst = mention.numeric() && mention.couldBe(answer, true);
        if (!asMonthFirst && !asDayFirst) {
          continue;
        }
        if (asMonthFirst != asDayFirst) {
          monthFirstVotes += asMonthFirst ? 1 : 0;
          dayFirstVotes += asDayFirst ? 1 : 0;
        }
        firstVotes += m == 0 ? 1 : 0;
        lastVotes += m == mentions.size() - 1 ? 1 : 0;
        if (mention.year() == null) {
          yearless = Math.max(yearless, answer.getYear());
          Integer inInput = inputYear(mentions, mention);
          if (inInput != null) {
            answerAndInputYears.add(new int[] {answer.getYear(), inInput});
          }
        }
        break;
      }
    }
    String noMention = "";
    int most = 0;
    for (Map.Entry<String, Integer> e : withoutMention.entrySet()) {
      if (e.getValue() > most) {
        noMention = e.getKey();
        most = e.getValue();
      }
    }
    int defaultYear = yearless > 0 ? yearless : latest;
    int byConstant = 0;
    int byInput = 0;
    for (int[] years : answerAndInputYears) {
      byConstant += years[0] == defaultYear ? 1 : 0;
      byInput += years[0] == years[1] ? 1 : 0;
    }
    return new DateExtractor(
        defaultYear,
        dayFirstVotes > monthFirstVotes,
        lastVotes > firstVotes,
        noMention,
        byInput > byConstant);
  }

  /** The year of the first other mention in the input that has one; null if none has. */
  @SuppressWarnings("ReferenceEquality") // not that very mention; an equal one elsewhere counts
  private static Integer inputYear(List<DateMentions.Mention> mentions, DateMentions.Mention not) {
    for (DateMentions.Mention m : mentions) {
      if (m != not && m.year() != null) {
        return m.year();
      }
    }
    return null;
  }

  @Override
  public String predict(String input) {
    List<DateMentions.Mention> mentions = DateMentions.find(input);
    if (mentions.isEmpty()) {
      return noMention;
    }
    DateMentions.Mention m = mentions.get(lastMention ? mentions.size() - 1 : 0);
    Integer inInput = yearFromInput && m.year() == null ? inputYear(mentions, m) : null;
    LocalDate date = m.date(inInput != null ? inInput : defaultYear, dayFirst);
    return date == null ? noMention : date.toString();
  }

  @Override
  public String kind() {
    return "date";
  }

  @Override
  public Score score(String input, int[] feats, String expected) {
    return Score.exact(predict(input), expected);
  }

  @Override
  public FieldModel copy() {
    return this; // nothing in it changes after learning
  }

  @Override
  public void write(DataOutputStream out) throws IOException {
    out.writeInt(defaultYear);
    out.writeBoolean(dayFirst);
    out.writeBoolean(lastMention);
    out.writeUTF(noMention);
    out.writeBoolean(yearFromInput);
  }

  static DateExtractor read(DataInputStream in) throws IOException {
    return new DateExtractor(
        in.readInt(), in.readBoolean(), in.readBoolean(), in.readUTF(), in.readBoolean());
  }

  /** An ISO date, or null. */
  static LocalDate parse(String value) {
    try {
      return value.length() == 10 ? LocalDate.parse(value) : null;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
