package io.finetune.activities.spec;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A spec file as written: every field optional and as text, so that {@link SpecLoader} can report
 * every problem at once, by field, before building the typed {@code PipelineSpec}. Unknown fields
 * are refused when the file is read.
 */
record SpecFile(
    String name,
    Dataset dataset,
    JsonNode outputFields,
    List<EvalSet> evalSets,
    String prompt,
    Target target,
    Model model,
    String provider,
    Split split,
    Approval approval,
    Drift drift,
    Judge judge,
    String task,
    Rollout rollout,
    String answerSchema) {

  record Dataset(
      String path, String inputField, String outputField, String format, String invalidRows) {}

  record EvalSet(String name, String path) {}

  record Target(String metric, Double score, String reason, Double margin) {}

  record Model(
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> sizes,
      Map<String, String> baseModels,
      String promptModel,
      Integer epochs,
      Sweep sweep,
      String promptProvider) {}

  record Sweep(
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<Integer> epochs,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
          List<Double> learningRateMultiplier,
      Integer maxCandidates) {}

  record Split(Double testFraction, Long seed, Double validationFraction) {}

  record Approval(
      List<String> approvers, String remindAfter, String timeout, Boolean requireToken) {}

  record Drift(
      Double maxNewVocabularyRate,
      Double maxLabelDistance,
      Double minAccuracy,
      Double freshHoldoutFraction,
      Double maxOutOfRangeRate,
      Double maxDomainAuc,
      Integer maxCategories,
      String source) {}

  record Rollout(
      Double canaryShare,
      String window,
      Integer minEvents,
      Double maxPValue,
      String onWorse,
      Double judgeShare) {}

  record Judge(
      String model,
      String provider,
      String rubric,
      Integer maxPairs,
      String alignment,
      Double minKappa,
      Boolean gate) {}
}
