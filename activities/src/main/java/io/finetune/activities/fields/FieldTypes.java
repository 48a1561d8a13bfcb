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
    Detector d = new Detector(fields, declared);
    rows.forEach(d::add);
    return d.types();
  }

  /** The type {@code field}'s values in {@code rows} look like; category when there are none. */
  public static FieldType detect(String field, Iterable<Row> rows) {
    return resolve(List.of(field), null, rows).get(field);
  }

  /**
   * The types of several fields from rows seen one at a time, in one pass: memory bounded by the
   * {@link #MAX_DETECTED_CATEGORIES} distinct values that tell a category from text.
   */
  public static final class Detector {
    private final Map<String, FieldType> named = new LinkedHashMap<>();
    private final Map<String, Values> seen = new LinkedHashMap<>();

    private static final class Values {
      int count;
      boolean dates = true;
      boolean numbers = true;
      final Set<String> distinct = new HashSet<>();
    }

    public Detector(List<String> fields, Map<String, String> declared) {
      for (String f : fields) {
        String type = declared == null ? null : declared.get(f);
        if (type != null) {
          named.put(f, FieldType.of(type));
        } else {
          named.put(f, null);
          seen.put(f, new Values());
        }
      }
    }

    public void add(Row row) {
      if (seen.isEmpty() || !row.labeled() || !row.output().isObject()) {
        return;
      }
      seen.forEach(
          (f, v) -> {
            String value = row.value(f);
            if (value.isBlank()) {
              return;
            }
            v.count++;
            v.dates &= FieldValues.date(value) != null;
            v.numbers &= FieldValues.number(value) != null;
            if (v.distinct.size() <= MAX_DETECTED_CATEGORIES) {
              v.distinct.add(value); // one past the limit is enough to know it is text
            }
          });
    }

    public Map<String, FieldType> types() {
      Map<String, FieldType> types = new LinkedHashMap<>();
      named.forEach((f, t) -> types.put(f, t != null ? t : type(seen.get(f))));
      return types;
    }

    private static FieldType type(Values v) {
      if (v.count == 0) {
        return FieldType.CATEGORY;
      }
      if (v.dates) {
        return FieldType.DATE;
      }
      if (v.numbers) {
        return FieldType.NUMBER;
      }
      // A handful of rows (a small eval set) cannot show repetition: few distinct values suffice.
      boolean repeats = v.distinct.size() * 2 <= v.count || v.count < SMALL_SAMPLE;
      return v.distinct.size() <= MAX_DETECTED_CATEGORIES && repeats
          ? FieldType.CATEGORY
          : FieldType.TEXT;
    }
  }
}
