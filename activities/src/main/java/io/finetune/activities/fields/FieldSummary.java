package io.finetune.activities.fields;

import io.finetune.activities.dataset.Rows.Row;
import io.finetune.workflows.spec.FieldType;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One line on the values of a field that is not a category, for the data report: a date's range and
 * years, a number's range, a text's distinct count and examples.
 */
public final class FieldSummary {
  private static final int EXAMPLES = 5;

  private FieldSummary() {}

  public static String of(FieldType type, List<Row> rows, String field) {
    Builder b = new Builder(type, field);
    rows.forEach(b::add);
    return b.summary();
  }

  /**
   * The summary of rows seen one at a time: for a date its distinct dates, for a number its range,
   * for text its count, distinct values up to {@link #DISTINCT_KEPT} and the first examples.
   */
  public static final class Builder {
    private final FieldType type;
    private final String field;
    private final TreeSet<LocalDate> dates = new TreeSet<>();
    private final Set<String> distinct = new LinkedHashSet<>();
    private BigDecimal min;
    private BigDecimal max;
    private int values;
    private int malformed;
    private int empty;

    public Builder(FieldType type, String field) {
      this.type = type;
      this.field = field;
    }

    public void add(Row row) {
      if (!row.labeled()) {
        return;
      }
      String v = row.value(field);
      if (v.isBlank()) {
        empty++;
        return;
      }
      values++;
      switch (type) {
        case DATE -> {
          LocalDate d = FieldValues.date(v);
          if (d == null) {
            malformed++;
          } else {
            dates.add(d);
          }
        }
        case NUMBER -> {
          BigDecimal n = FieldValues.number(v);
          if (n == null) {
            malformed++;
          } else {
            min = min == null || n.compareTo(min) < 0 ? n : min;
            max = max == null || n.compareTo(max) > 0 ? n : max;
          }
        }
        default -> {
          if (distinct.size() < DISTINCT_KEPT) {
            distinct.add(v);
          }
        }
      }
    }

    public String summary() {
      String emptyNote = empty == 0 ? "" : "; " + empty + " empty";
      return switch (type) {
            case DATE -> dates();
            case NUMBER -> numbers();
            default -> text();
          }
          + emptyNote;
    }

    private String dates() {
      if (dates.isEmpty()) {
        return "no yyyy-MM-dd dates among " + values + " values";
      }
      Set<Integer> years =
          dates.stream().map(LocalDate::getYear).collect(Collectors.toCollection(TreeSet::new));
      return String.format(
          Locale.ROOT,
          "%d dates from %s to %s, in %s %s%s",
          values - malformed,
          dates.first(),
          dates.last(),
          years.size() == 1 ? "year" : "years",
          years.stream().map(String::valueOf).collect(Collectors.joining(", ")),
          malformed == 0 ? "" : "; " + malformed + " not yyyy-MM-dd");
    }

    private String numbers() {
      if (min == null) {
        return "no numbers among " + values + " values";
      }
      return String.format(
          Locale.ROOT,
          "%d numbers from %s to %s%s",
          values - malformed,
          min.toPlainString(),
          max.toPlainString(),
          malformed == 0 ? "" : "; " + malformed + " not numbers");
    }

    private String text() {
      return String.format(
          Locale.ROOT,
          "%d values, %s distinct, e.g. %s",
          values,
          distinct.size() < DISTINCT_KEPT
              ? String.valueOf(distinct.size())
              : "at least " + DISTINCT_KEPT,
          distinct.stream()
              .limit(EXAMPLES)
              .map(v -> "`" + v + "`")
              .collect(Collectors.joining(", ")));
    }
  }

  /** Distinct text values counted exactly up to this many: enough to tell, bounded in memory. */
  public static final int DISTINCT_KEPT = 100_000;
}
