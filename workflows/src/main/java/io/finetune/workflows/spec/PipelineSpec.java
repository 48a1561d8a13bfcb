package io.finetune.workflows.spec;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.List;
import java.util.Map;

/**
 * What one fine-tuning pipeline should do, as written in a spec file (YAML or JSON). {@link
 * SpecLoader} reads, validates and completes it; every field is documented in README.md.
 */
public record PipelineSpec(
    String name,
    Dataset dataset,
    List<String> outputFields,
    List<EvalSet> evalSets,
    String prompt,
    Target target,
    Model model,
    String provider,
    Split split,
    Approval approval,
    Drift drift) {

  /** The labeled examples: a JSONL file, one object a line. */
  public record Dataset(String path, String inputField, String outputField) {}

  /** A separate set (corner cases, fresh production rows) scored apart from the test set. */
  public record EvalSet(String name, String path) {}

  /**
   * The score the prompt baseline must reach to make fine-tuning unnecessary, and why fine-tuning
   * would be worth it otherwise (quality, latency or cost).
   */
  public record Target(String metric, Double score, String reason) {}

  /**
   * Which sizes to train ({@code auto} recommends one from the dataset size), the provider's base
   * model for each size, and the model that runs the prompt baseline.
   */
  public record Model(
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> sizes,
      Map<String, String> baseModels,
      String promptModel,
      Integer epochs) {}

  /** The held-out test set: its share of the rows and the seed that picks it. */
  public record Split(Double testFraction, Long seed) {}

  /** Who may decide at checkpoints; empty means anyone. */
  public record Approval(List<String> approvers) {}

  /** Thresholds past which a drift check starts retraining. */
  public record Drift(
      Double maxNewVocabularyRate,
      Double maxLabelDistance,
      Double minAccuracy,
      Double freshHoldoutFraction) {}

  /** The same spec training on another dataset, with one more eval set (used by retraining). */
  public PipelineSpec withDatasetAndEvalSet(String datasetPath, EvalSet extra) {
    List<EvalSet> sets = new java.util.ArrayList<>(evalSets == null ? List.of() : evalSets);
    sets.add(extra);
    return new PipelineSpec(
        name,
        new Dataset(datasetPath, "input", "output"),
        outputFields,
        List.copyOf(sets),
        prompt,
        target,
        model,
        provider,
        split,
        approval,
        drift);
  }
}
