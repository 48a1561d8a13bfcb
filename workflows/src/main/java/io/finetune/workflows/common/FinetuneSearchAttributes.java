package io.finetune.workflows.common;

import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.common.SearchAttributeKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The search attributes our workflows keep current, so that the Web UI and {@code list --query} can
 * find runs by model, stage, outcome and scores. A server must know them before a workflow sets
 * them ({@code ./finetune setup}; the dev servers register them at start).
 */
public final class FinetuneSearchAttributes {
  public static final SearchAttributeKey<String> MODEL =
      SearchAttributeKey.forKeyword("FinetuneModel");
  public static final SearchAttributeKey<String> STAGE =
      SearchAttributeKey.forKeyword("FinetuneStage");
  public static final SearchAttributeKey<String> OUTCOME =
      SearchAttributeKey.forKeyword("FinetuneOutcome");
  public static final SearchAttributeKey<String> BEST_SIZE =
      SearchAttributeKey.forKeyword("FinetuneBestSize");
  public static final SearchAttributeKey<Double> BASELINE_SCORE =
      SearchAttributeKey.forDouble("FinetuneBaselineScore");
  public static final SearchAttributeKey<Double> BEST_SCORE =
      SearchAttributeKey.forDouble("FinetuneBestScore");
  public static final SearchAttributeKey<String> DATASET_SHA256 =
      SearchAttributeKey.forKeyword("FinetuneDatasetSha256");
  public static final SearchAttributeKey<String> TRIGGER =
      SearchAttributeKey.forKeyword("FinetuneTrigger");

  public static final List<SearchAttributeKey<?>> ALL =
      List.of(
          MODEL, STAGE, OUTCOME, BEST_SIZE, BASELINE_SCORE, BEST_SCORE, DATASET_SHA256, TRIGGER);

  private FinetuneSearchAttributes() {}

  /** Name and type of each, as servers register them. */
  public static Map<String, IndexedValueType> definitions() {
    Map<String, IndexedValueType> defs = new LinkedHashMap<>();
    ALL.forEach(k -> defs.put(k.getName(), k.getValueType()));
    return defs;
  }

  /** What started a run, as a keyword: the trigger's first word ("cli", "drift-check", ...). */
  public static String triggerKeyword(String trigger) {
    if (trigger == null || trigger.isBlank()) {
      return "unknown";
    }
    String first = trigger.strip().split("[\\s:]", 2)[0];
    return first.length() > 40 ? first.substring(0, 40) : first;
  }
}
