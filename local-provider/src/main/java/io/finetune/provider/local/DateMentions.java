package io.finetune.provider.local;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dates as people write them in messages: "March 21", "Mar. 21st, 2024", "21 March", "the 5th of
 * May", "3/5", "3/5/24", "2023-03-21". A weekday written next to one ("Tue 3/5", "Tuesday, March
 * 21") is not part of it. Numeric dates are ambiguous (3/5 is March 5 in the US, 3 May elsewhere),
 * so a mention keeps both numbers and the reader decides.
 */
final class DateMentions {
  private static final String MONTH =
      "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          + "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?";
  private static final String DAY = "(\\d{1,2})(?:st|nd|rd|th)?";
  private static final String YEAR = "(?:,?\\s+((?:19|20)\\d{2}))?";
  private static final Pattern MENTION =
      Pattern.compile(
          String.join(
              "|",
              "\\b(?<iso>((?:19|20)\\d{2})-(\\d{1,2})-(\\d{1,2}))\\b",
              "\\b(?<monthDay>" + MONTH + "\\s+" + DAY + "\\b" + YEAR + ")",
              "\\b(?<dayMonth>" + DAY + "\\s+(?:of\\s+)?" + MONTH + "(?![a-z])" + YEAR + ")",
              "(?<![\\d/])(?<numeric>(\\d{1,2})/(\\d{1,2})(?:/(\\d{4}|\\d{2}))?)(?![\\d/])"),
          Pattern.CASE_INSENSITIVE);
  private static final List<String> MONTHS =
      List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");

  private DateMentions() {}

  /**
   * A date as written; {@code year} is null when it was left out. A numeric mention holds its two
   * numbers as written in {@code first} and {@code second}; the others hold month and day there.
   */
  record Mention(String text, int first, int second, Integer year, boolean numeric) {
    /** The date, or null if it is none (February 30); {@code dayFirst} reads 3/5 as 3 May. */
    LocalDate date(int defaultYear, boolean dayFirst) {
      int month = numeric && dayFirst ? second : first;
      int day = numeric && dayFirst ? first : second;
      try {
        return LocalDate.of(year == null ? defaultYear : year, month, day);
      } catch (DateTimeException e) {
        return null;
      }
    }

    /** Whether the mention can be read as {@code date} (its year aside). */
    boolean couldBe(LocalDate date, boolean dayFirst) {
      LocalDate d = date(date.getYear(), dayFirst);
      return date.equals(d);
    }
  }

  /** The mentions in {@code text}, in order; none that cannot be a date in a leap year. */
  static List<Mention> find(String text) {
    List<Mention> out = new ArrayList<>();
    Matcher m = MENTION.matcher(text);
    while (m.find()) {
      // Numbered groups: a name cannot be used in two alternatives.
      Mention mention;
      if (m.group("iso") != null) {
        mention = mention(m, "iso", num(m.group(3)), num(m.group(4)), num(m.group(2)), false);
      } else if (m.group("monthDay") != null) {
        mention =
            mention(m, "monthDay", month(m.group(6)), num(m.group(7)), year(m.group(8)), false);
      } else if (m.group("dayMonth") != null) {
        mention =
            mention(m, "dayMonth", month(m.group(11)), num(m.group(10)), year(m.group(12)), false);
      } else {
        mention =
            mention(m, "numeric", num(m.group(14)), num(m.group(15)), year(m.group(16)), true);
      }
      // Checked in a leap year, so that February 29 without a year stays a date.
      if (mention.date(2024, false) != null
          || (mention.numeric() && mention.date(2024, true) != null)) {
        out.add(mention);
      }
    }
    return out;
  }

  private static Mention mention(
      Matcher m, String group, int first, int second, Integer year, boolean numeric) {
    return new Mention(m.group(group), first, second, year, numeric);
  }

  private static int num(String digits) {
    return Integer.parseInt(digits);
  }

  private static Integer year(String digits) {
    if (digits == null) {
      return null;
    }
    int y = Integer.parseInt(digits);
    return digits.length() == 2 ? 2000 + y : y;
  }

  private static int month(String name) {
    return MONTHS.indexOf(name.substring(0, 3).toLowerCase(Locale.ROOT)) + 1;
  }
}
