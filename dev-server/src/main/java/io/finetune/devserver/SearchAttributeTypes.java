package io.finetune.devserver;

import io.temporal.api.enums.v1.IndexedValueType;
import java.util.Locale;

/** Search attribute types as Temporal's tools spell them: Keyword, Double, KeywordList, ... */
public final class SearchAttributeTypes {
  private SearchAttributeTypes() {}

  public static String name(IndexedValueType type) {
    StringBuilder out = new StringBuilder();
    for (String part : type.name().replace("INDEXED_VALUE_TYPE_", "").split("_", -1)) {
      out.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
    }
    return out.toString();
  }
}
