package io.finetune.activities.fields;

import io.finetune.activities.dataset.Rows.Row;
import io.finetune.workflows.spec.FieldType;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The type of each output field: as the spec names it, else detected from labeled rows.
 *
 * <p>Detection looks at a field's non-empty values: all ISO dates ({@code yyyy-MM-dd}) make a date,
 * all numbers a number; otherwise few distinct values make a category (at most {@link
 * #MAX_DETECTED_CATEGORIES}, and each seen twice on average unless the sample is small), and many
 * make text, such as names.
 */
public final class FieldTypes {
  /** More distinct values than this is text, whatever the data size. */
  public static final int MAX_DETECTED_CATEGORIES = 50;

  private static final int SMALL_SAMPLE = 20;

  private FieldTypes() {}

  /** Every field's type, the spec's where it names one (null or empty map: detect all). */
  public static Map<String, FieldType> resolve(
      List<String> fields, Map<String, String> declared, Iterable<Row> rows) {
    Map<String, FieldType> types = new LinkedHashMap<>();
    for (String f : fields) {
      String named = declared == null ? null : declared.get(f);
      types.put(f, named != null ? FieldType.of(named) : detect(f, rows));
    }
    return types;
  }

  /**
   * The type {@code field}'s values in {@code rows} look like; category when there are none. One
   * pass, in memory that does not grow with the rows: past {@link #MAX_DETECTED_CATEGORIES}
   * distinct values, more are not kept (they could only make it text).
   */
  public static FieldType detect(String field, Iterable<Row> rows) {
    int values = 0;
    boolean dates = true;
    boolean numbers = true;
    Set<String> distinct = new HashSet<>();
    for (Row row : rows) {
      if (!row.labeled() || !row.output().isObject()) {
        continue;
      }
      String v = row.value(field);
      if (v.isBlank()) {
        continue;
      }
      values++;
      dates &= FieldValues.date(v) != null;
      numbers &= FieldValues.number(v) != null;
      if (distinct.size() <= MAX_DETECTED_CATEGORIES) {
        distinct.add(v);
      }
    }
    if (values == 0) {
      return FieldType.CATEGORY;
    }
    if (dates) {
      return FieldType.DATE;
    }
    if (numbers) {
      return FieldType.NUMBER;
    }
    // A handful of rows (a small eval set) cannot show repetition: few distinct values suffice.
    boolean repeats = distinct.size() * 2 <= values || values < SMALL_SAMPLE;
    return distinct.size() <= MAX_DETECTED_CATEGORIES && repeats
        ? FieldType.CATEGORY
        : FieldType.TEXT;
  }
}
