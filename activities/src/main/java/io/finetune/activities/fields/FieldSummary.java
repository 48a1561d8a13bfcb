package io.finetune.activities.fields;

import io.finetune.activities.dataset.Rows.Row;
import io.finetune.workflows.spec.FieldType;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
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
    List<String> values = new ArrayList<>();
    int empty = 0;
    for (Row row : rows) {
      if (!row.labeled()) {
        continue;
      }
      String v = row.value(field);
      if (v.isBlank()) {
        empty++;
      } else {
        values.add(v);
      }
    }
    String emptyNote = empty == 0 ? "" : "; " + empty + " empty";
    return switch (type) {
      case DATE -> dates(values) + emptyNote;
      case NUMBER -> numbers(values) + emptyNote;
      default -> text(values) + emptyNote;
    };
  }

  private static String dates(List<String> values) {
    TreeSet<LocalDate> dates = new TreeSet<>();
    int malformed = 0;
    for (String v : values) {
      LocalDate d = FieldValues.date(v);
      if (d == null) {
        malformed++;
      } else {
        dates.add(d);
      }
    }
    if (dates.isEmpty()) {
      return "no yyyy-MM-dd dates among " + values.size() + " values";
    }
    Set<Integer> years =
        dates.stream().map(LocalDate::getYear).collect(Collectors.toCollection(TreeSet::new));
    return String.format(
        Locale.ROOT,
        "%d dates from %s to %s, in %s %s%s",
        values.size() - malformed,
        dates.first(),
        dates.last(),
        years.size() == 1 ? "year" : "years",
        years.stream().map(String::valueOf).collect(Collectors.joining(", ")),
        malformed == 0 ? "" : "; " + malformed + " not yyyy-MM-dd");
  }

  private static String numbers(List<String> values) {
    BigDecimal min = null;
    BigDecimal max = null;
    int malformed = 0;
    for (String v : values) {
      BigDecimal n = FieldValues.number(v);
      if (n == null) {
        malformed++;
        continue;
      }
      min = min == null || n.compareTo(min) < 0 ? n : min;
      max = max == null || n.compareTo(max) > 0 ? n : max;
    }
    if (min == null) {
      return "no numbers among " + values.size() + " values";
    }
    return String.format(
        Locale.ROOT,
        "%d numbers from %s to %s%s",
        values.size() - malformed,
        min.toPlainString(),
        max.toPlainString(),
        malformed == 0 ? "" : "; " + malformed + " not numbers");
  }

  private static String text(List<String> values) {
    Set<String> distinct = new LinkedHashSet<>(values);
    return String.format(
        Locale.ROOT,
        "%d values, %d distinct, e.g. %s",
        values.size(),
        distinct.size(),
        distinct.stream()
            .limit(EXAMPLES)
            .map(v -> "`" + v + "`")
            .collect(Collectors.joining(", ")));
  }
}
