package io.finetune.activities.fields;

import io.finetune.workflows.spec.FieldType;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;

/** How values of each field type are read and when two of them are the same answer. */
public final class FieldValues {
  private static final Pattern ISO_DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");
  private static final Pattern SPACES = Pattern.compile("\\s+");
  private static final Pattern EDGE_PUNCTUATION =
      Pattern.compile("^[\\p{Punct}\\s]+|[\\p{Punct}\\s]+$");

  private FieldValues() {}

  /** The date an ISO {@code yyyy-MM-dd} value names; null when it is not one. */
  public static LocalDate date(String value) {
    String v = value.strip();
    if (!ISO_DATE.matcher(v).matches()) {
      return null;
    }
    try {
      return LocalDate.parse(v);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The number a value is (JSON number or numeric text, e.g. {@code 12.50}); null otherwise. */
  public static BigDecimal number(String value) {
    String v = value.strip();
    if (v.isEmpty() || !Character.isDigit(v.charAt(v.length() - 1))) {
      return null;
    }
    try {
      return new BigDecimal(v);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Whether an answer's value is the expected one, as the type compares them: categories exactly;
   * text ignoring case, runs of spaces and punctuation at the ends; dates and numbers by what they
   * denote ({@code 12.0} is {@code 12}), falling back to exact text when one is malformed.
   */
  public static boolean same(FieldType type, String expected, String got) {
    if (got == null) {
      return false;
    }
    return switch (type) {
      case TEXT -> normalizedText(expected).equals(normalizedText(got));
      case DATE -> {
        LocalDate a = date(expected);
        LocalDate b = date(got);
        yield (a != null && b != null) ? a.equals(b) : expected.equals(got);
      }
      case NUMBER -> {
        BigDecimal x = number(expected);
        BigDecimal y = number(got);
        yield (x != null && y != null) ? x.compareTo(y) == 0 : expected.equals(got);
      }
      default -> expected.equals(got);
    };
  }

  /** Lowercase, single spaces, no punctuation at either end: "Dana O'Neil." is "dana o'neil". */
  public static String normalizedText(String value) {
    String v = SPACES.matcher(value.strip()).replaceAll(" ").toLowerCase(Locale.ROOT);
    return EDGE_PUNCTUATION.matcher(v).replaceAll("");
  }
}
