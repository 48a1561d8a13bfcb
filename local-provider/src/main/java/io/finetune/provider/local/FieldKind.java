package io.finetune.provider.local;

import java.util.HashSet;
import java.util.List;

/**
 * Which kind of {@link FieldModel} learns a field (or whole answers), from what the training
 * answers look like. The first rule that holds wins:
 *
 * <ol>
 *   <li>{@link #DATE}: at least {@value #DATE_SHARE} of the non-empty values are ISO dates ({@code
 *       yyyy-MM-dd}): a {@link DateExtractor};
 *   <li>{@link #SPAN}: at least {@value #SPAN_SHARE} of the non-empty values are written in their
 *       input (case and white space aside, on word boundaries): a {@link SpanExtractor};
 *   <li>{@link #TEXT}: more than {@value #DISTINCT_SHARE} of the values (empty ones too) are
 *       distinct, so there are no classes to learn: a {@link NearestAnswer};
 *   <li>{@link #CATEGORY} otherwise (values repeat, like categories or canned answers; or none is
 *       non-empty): a {@link SoftmaxClassifier}.
 * </ol>
 */
enum FieldKind {
  DATE,
  SPAN,
  TEXT,
  CATEGORY;

  static final double DATE_SHARE = 0.95;
  static final double SPAN_SHARE = 0.8;
  static final double DISTINCT_SHARE = 0.5;

  static FieldKind of(List<String> inputs, List<String> values) {
    int nonEmpty = 0;
    int dates = 0;
    int copied = 0;
    for (int i = 0; i < values.size(); i++) {
      String v = values.get(i);
      if (v.isBlank()) {
        continue;
      }
      nonEmpty++;
      dates += DateExtractor.parse(v) != null ? 1 : 0;
      copied += Tokenized.of(inputs.get(i)).find(v) != null ? 1 : 0;
    }
    if (nonEmpty == 0) {
      return CATEGORY;
    }
    if (dates >= DATE_SHARE * nonEmpty) {
      return DATE;
    }
    if (copied >= SPAN_SHARE * nonEmpty) {
      return SPAN;
    }
    if (new HashSet<>(values).size() > DISTINCT_SHARE * values.size()) {
      return TEXT;
    }
    return CATEGORY;
  }
}
