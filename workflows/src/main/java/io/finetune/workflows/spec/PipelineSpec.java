package io.finetune.workflows.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one fine-tuning pipeline should do: a complete, validated spec (the CLI's spec loader reads
 * the file and fills in every default), so that the spec in workflow history is unambiguous. Every
 * field is documented in README.md.
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
    Drift drift,
    Judge judge,
    String task,
    Map<String, String> fieldTypes,
    RolloutPolicy rollout,
    Map<String, List<String>> fieldValues,
    String answerSchema) {

  /** The answer is a JSON object with {@code outputFields} (and the task of older histories). */
  public static final String TASK_FIELDS = "fields";

  /** The answer is free text, scored by text exact match and chrF. */
  public static final String TASK_TEXT = "text";

  public PipelineSpec {
    evalSets = evalSets == null ? List.of() : List.copyOf(evalSets);
    fieldTypes = fieldTypes == null ? Map.of() : Map.copyOf(fieldTypes);
    fieldValues = fieldValues == null ? Map.of() : Map.copyOf(fieldValues);
  }

  /** A spec without a JSON Schema for its answers (and histories from before answer schemas). */
  public PipelineSpec(
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
      Drift drift,
      Judge judge,
      String task,
      Map<String, String> fieldTypes,
      RolloutPolicy rollout,
      Map<String, List<String>> fieldValues) {
    this(
        name,
        dataset,
        outputFields,
        evalSets,
        prompt,
        target,
        model,
        provider,
        split,
        approval,
        drift,
        judge,
        task,
        fieldTypes,
        rollout,
        fieldValues,
        null);
  }

  /** A spec whose categories take any value (and histories from before label sets). */
  public PipelineSpec(
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
      Drift drift,
      Judge judge,
      String task,
      Map<String, String> fieldTypes,
      RolloutPolicy rollout) {
    this(
        name,
        dataset,
        outputFields,
        evalSets,
        prompt,
        target,
        model,
        provider,
        split,
        approval,
        drift,
        judge,
        task,
        fieldTypes,
        rollout,
        null);
  }

  /** A spec whose approved version serves all traffic at once (and histories before rollouts). */
  public PipelineSpec(
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
      Drift drift,
      Judge judge,
      String task,
      Map<String, String> fieldTypes) {
    this(
        name,
        dataset,
        outputFields,
        evalSets,
        prompt,
        target,
        model,
        provider,
        split,
        approval,
        drift,
        judge,
        task,
        fieldTypes,
        null);
  }

  /** A spec whose field types are all detected from the data (and histories from before types). */
  public PipelineSpec(
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
      Drift drift,
      Judge judge,
      String task) {
    this(
        name,
        dataset,
        outputFields,
        evalSets,
        prompt,
        target,
        model,
        provider,
        split,
        approval,
        drift,
        judge,
        task,
        null);
  }

  /** A spec without a judge (and histories from before judges). */
  public PipelineSpec(
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
    this(
        name,
        dataset,
        outputFields,
        evalSets,
        prompt,
        target,
        model,
        provider,
        split,
        approval,
        drift,
        null,
        null,
        null);
  }

  /** The type the spec gives {@code field}; null: detected from the data. */
  public FieldType fieldType(String field) {
    return FieldType.of(fieldTypes.get(field));
  }

  /** The values a category field allows (empty: any value; the spec's {@code values}). */
  public List<String> allowedValues(String field) {
    return fieldValues.getOrDefault(field, List.of());
  }

  /** True when answers are free text; histories from before tasks have none: fields. */
  public boolean textTask() {
    return TASK_TEXT.equals(task);
  }

  /**
   * The labeled examples: a JSONL file, one object a line. {@code format} says how a row holds its
   * answer ({@link DatasetFormat}); null: detected from the first row (and in older histories).
   */
  /**
   * {@code invalidRows}: what a row of the dataset that cannot be read does: {@link
   * #INVALID_ROWS_FAIL} (null, the default) fails the import, {@link #INVALID_ROWS_REVIEW} keeps it
   * out of training and lists it in the data review.
   */
  public record Dataset(
      String path,
      String inputField,
      String outputField,
      String format,
      // Left out when null, so that a spec without it is written as older workers wrote it.
      @JsonInclude(JsonInclude.Include.NON_NULL) String invalidRows) {
    public static final String INVALID_ROWS_FAIL = "fail";
    public static final String INVALID_ROWS_REVIEW = "review";

    public Dataset(String path, String inputField, String outputField) {
      this(path, inputField, outputField, null);
    }

    public Dataset(String path, String inputField, String outputField, String format) {
      this(path, inputField, outputField, format, null);
    }
  }

  /**
   * A set scored apart from the test set, and why it is scored. Its rows have the dataset's input
   * and output fields unless it names its own (a retraining's sets come from files of both kinds).
   */
  public record EvalSet(
      String name, String path, EvalSetRole role, String inputField, String outputField) {

    public EvalSet(String name, String path, EvalSetRole role) {
      this(name, path, role, null, null);
    }

    public EvalSet {
      // Histories written before roles existed have none: those sets came from the spec, except
      // the fresh hold-out a drift check added, which always had its reserved name.
      if (role == null) {
        role =
            EvalSetRole.FRESH_HOLDOUT_NAME.equals(name)
                ? EvalSetRole.FRESH_HOLDOUT
                : EvalSetRole.SPEC;
      }
    }
  }

  /**
   * The score the prompt baseline must reach to make fine-tuning unnecessary, why fine-tuning would
   * be worth it otherwise, and by how much a candidate must beat the baseline: the lower bound of
   * the difference's 95% interval must be above {@code margin} (0 in old histories).
   */
  public record Target(String metric, double score, TargetReason reason, double margin) {
    public Target(String metric, double score, TargetReason reason) {
      this(metric, score, reason, 0);
    }
  }

  /**
   * Which sizes to train (none named: one is recommended from the dataset size), the provider's
   * base model for each size, and the model that runs the prompt baseline, at {@code
   * promptProvider} (null: the spec's provider; e.g. a self-hosted server while another trains).
   */
  public record Model(
      List<Size> sizes,
      Map<String, String> baseModels,
      String promptModel,
      Integer epochs,
      Sweep sweep,
      String promptProvider) {

    public Model {
      sizes = sizes == null ? List.of() : List.copyOf(sizes);
      baseModels = baseModels == null ? Map.of() : Map.copyOf(baseModels);
    }

    public Model(
        List<Size> sizes, Map<String, String> baseModels, String promptModel, Integer epochs) {
      this(sizes, baseModels, promptModel, epochs, null, null);
    }

    public Model(
        List<Size> sizes,
        Map<String, String> baseModels,
        String promptModel,
        Integer epochs,
        Sweep sweep) {
      this(sizes, baseModels, promptModel, epochs, sweep, null);
    }

    /** Histories and registries written before sizes were typed say {@code ["auto"]}. */
    @JsonCreator
    static Model fromJson(
        @JsonProperty("sizes") List<String> sizes,
        @JsonProperty("baseModels") Map<String, String> baseModels,
        @JsonProperty("promptModel") String promptModel,
        @JsonProperty("epochs") Integer epochs,
        @JsonProperty("sweep") Sweep sweep,
        @JsonProperty("promptProvider") String promptProvider) {
      List<Size> typed =
          sizes == null
              ? List.of()
              : sizes.stream().filter(s -> !s.equalsIgnoreCase("auto")).map(Size::of).toList();
      return new Model(typed, baseModels, promptModel, epochs, sweep, promptProvider);
    }

    /**
     * The hyperparameters each size is trained with: every combination of the sweep, or the one the
     * spec names (the provider's defaults when it names none).
     */
    public List<Variant> variants() {
      if (sweep == null || sweep.isEmpty()) {
        return List.of(new Variant(epochs, null));
      }
      List<Integer> es =
          sweep.epochs().isEmpty() ? java.util.Collections.singletonList(epochs) : sweep.epochs();
      List<Double> lrs =
          sweep.learningRateMultiplier().isEmpty()
              ? java.util.Collections.singletonList(null)
              : sweep.learningRateMultiplier();
      List<Variant> out = new ArrayList<>();
      for (Integer e : es) {
        for (Double lr : lrs) {
          out.add(new Variant(e, lr));
        }
      }
      return out;
    }

    /** True when the spec leaves the size to the pipeline (rule 6). */
    public boolean sizeIsAuto() {
      return sizes.isEmpty();
    }

    /** The provider's model id for {@code size}. */
    public String baseModel(Size size) {
      return baseModels.get(size.id());
    }
  }

  /**
   * Hyperparameters to sweep: each combination of epochs and learning-rate multiplier is one
   * candidate per size, at most {@code maxCandidates} in all (the budget). An empty list keeps the
   * spec's value (or the provider's default).
   */
  public record Sweep(
      List<Integer> epochs, List<Double> learningRateMultiplier, int maxCandidates) {
    public Sweep {
      epochs = epochs == null ? List.of() : List.copyOf(epochs);
      learningRateMultiplier =
          learningRateMultiplier == null ? List.of() : List.copyOf(learningRateMultiplier);
    }

    boolean isEmpty() {
      return epochs.isEmpty() && learningRateMultiplier.isEmpty();
    }
  }

  /**
   * One set of hyperparameters a size is trained with; null values leave the provider's default.
   */
  public record Variant(Integer epochs, Double learningRateMultiplier) {
    /** A short name for ids and tables, e.g. {@code e3-lr0.5}; empty for provider defaults. */
    public String label() {
      StringBuilder sb = new StringBuilder();
      if (epochs != null) {
        sb.append('e').append(epochs);
      }
      if (learningRateMultiplier != null) {
        sb.append(sb.length() == 0 ? "" : "-")
            .append("lr")
            .append(
                java.math.BigDecimal.valueOf(learningRateMultiplier)
                    .stripTrailingZeros()
                    .toPlainString());
      }
      return sb.toString();
    }
  }

  /**
   * The held-out test set (its share of the rows and the seed that picks it) and the validation set
   * the provider scores checkpoints on, taken from the rest: apart from the test set, which stays
   * for the final comparison. 0: no validation set (and in histories from before it).
   */
  public record Split(double testFraction, long seed, double validationFraction) {
    public Split(double testFraction, long seed) {
      this(testFraction, seed, 0);
    }
  }

  /** Who may decide at checkpoints; empty means anyone. */
  /**
   * How an approved version reaches production: first a canary, {@code canaryShare} of the
   * gateway's traffic for {@code windowSeconds}, then the slow eval compares its outcomes with the
   * current version's. Worse (at significance {@code maxPValue}, with at least {@code minEvents}
   * outcomes on the canary) rolls back, or asks a person when {@code onWorse} is {@code ask};
   * better or no worse rolls out. {@code judgeShare} of the canary's traces are also compared by
   * the spec's judge with the current version's answer to the same input.
   */
  public record RolloutPolicy(
      double canaryShare,
      long windowSeconds,
      int minEvents,
      double maxPValue,
      String onWorse,
      double judgeShare) {
    public static final String ROLLBACK = "rollback";
    public static final String ASK = "ask";

    /** Whether a worse canary waits at the rollback checkpoint instead of rolling back. */
    public boolean asksPerson() {
      return ASK.equals(onWorse);
    }
  }

  /**
   * Who may decide at checkpoints (empty: anyone); while a checkpoint waits, a reminder every
   * {@code remindAfterSeconds} (null: none), and the run ends {@code REVIEW_TIMED_OUT} after {@code
   * timeoutSeconds} without a decision (null: it waits for ever). With {@code requireToken}, a
   * decision counts only when it carries the proof of an approver token of its {@code by} ({@code
   * ./finetune tokens create --approver NAME}); false in histories from before approver tokens.
   */
  public record Approval(
      List<String> approvers,
      Long remindAfterSeconds,
      Long timeoutSeconds,
      @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean requireToken) {
    public Approval {
      approvers = approvers == null ? List.of() : List.copyOf(approvers);
    }

    /** Approvers only (and histories from before reminders and timeouts). */
    public Approval(List<String> approvers) {
      this(approvers, null, null);
    }

    /** Decisions on their {@code by}'s word (and histories from before approver tokens). */
    public Approval(List<String> approvers, Long remindAfterSeconds, Long timeoutSeconds) {
      this(approvers, remindAfterSeconds, timeoutSeconds, false);
    }

    /** Whether a waiting checkpoint has timers: reminders or a timeout. */
    public boolean timed() {
      return remindAfterSeconds != null || timeoutSeconds != null;
    }
  }

  /**
   * Thresholds past which a drift check starts retraining. The per-type ones are null in specs
   * written before field types: their defaults apply.
   */
  public record Drift(
      double maxNewVocabularyRate,
      double maxLabelDistance,
      double minAccuracy,
      double freshHoldoutFraction,
      Double maxOutOfRangeRate,
      Double maxDomainAuc,
      Integer maxCategories,
      String source) {
    public static final double DEFAULT_MAX_OUT_OF_RANGE_RATE = 0.05;
    public static final double DEFAULT_MAX_DOMAIN_AUC = 0.75;
    public static final int DEFAULT_MAX_CATEGORIES = 50;

    /** A check without a batch path reads nothing: a folder or file must be given (default). */
    public static final String SOURCE_FOLDER = "folder";

    /** A check without a batch path reads the gateway's traces since the previous check. */
    public static final String SOURCE_TRACES = "traces";

    public static final List<String> SOURCES = List.of(SOURCE_FOLDER, SOURCE_TRACES);

    /** Without a source (specs written before traces): the folder or file a check is given. */
    public Drift(
        double maxNewVocabularyRate,
        double maxLabelDistance,
        double minAccuracy,
        double freshHoldoutFraction,
        Double maxOutOfRangeRate,
        Double maxDomainAuc,
        Integer maxCategories) {
      this(
          maxNewVocabularyRate,
          maxLabelDistance,
          minAccuracy,
          freshHoldoutFraction,
          maxOutOfRangeRate,
          maxDomainAuc,
          maxCategories,
          null);
    }

    /** Where a check given no batch path reads production rows; null (older specs): folder. */
    public boolean readsTraces() {
      return SOURCE_TRACES.equals(source);
    }

    public Drift(
        double maxNewVocabularyRate,
        double maxLabelDistance,
        double minAccuracy,
        double freshHoldoutFraction) {
      this(
          maxNewVocabularyRate,
          maxLabelDistance,
          minAccuracy,
          freshHoldoutFraction,
          null,
          null,
          null,
          null);
    }

    /**
     * The share of a date or number field's values that may be malformed or out of the training
     * range (for dates: in a year never seen in training) before it counts as drift.
     */
    public double outOfRangeLimit() {
      return maxOutOfRangeRate == null ? DEFAULT_MAX_OUT_OF_RANGE_RATE : maxOutOfRangeRate;
    }

    /**
     * How well a classifier may tell a text field's production values from its training values (ROC
     * AUC; 0.5: not at all) before it counts as drift.
     */
    public double domainAucLimit() {
      return maxDomainAuc == null ? DEFAULT_MAX_DOMAIN_AUC : maxDomainAuc;
    }

    /** Above this many distinct training values, a category's distribution is not compared. */
    public int categoryLimit() {
      return maxCategories == null ? DEFAULT_MAX_CATEGORIES : maxCategories;
    }
  }

  /**
   * A judge model that compares each candidate's answers on the test set with the prompt
   * baseline's, pairwise and in both orders, at most {@code maxPairs} rows. {@code provider} serves
   * it; it is never of a candidate's model family. It may gate promotion ({@code gate}: the
   * candidate must win more pairs than it loses) only once its agreement with people is measured on
   * the {@code alignment} file (null: none) with Cohen's kappa at least {@code minKappa}.
   */
  public record Judge(
      String model,
      String provider,
      String rubric,
      int maxPairs,
      String alignment,
      double minKappa,
      boolean gate) {}

  /** The same spec with another target. */
  public PipelineSpec withTarget(Target other) {
    return new PipelineSpec(
        name,
        dataset,
        outputFields,
        evalSets,
        prompt,
        other,
        model,
        provider,
        split,
        approval,
        drift,
        judge,
        task,
        fieldTypes,
        rollout,
        fieldValues,
        answerSchema);
  }

  /** The same spec training other sizes (none: one recommended from the dataset size). */
  public PipelineSpec withSizes(List<Size> sizes) {
    Model other =
        new Model(
            sizes,
            model.baseModels(),
            model.promptModel(),
            model.epochs(),
            model.sweep(),
            model.promptProvider());
    return new PipelineSpec(
        name,
        dataset,
        outputFields,
        evalSets,
        prompt,
        target,
        other,
        provider,
        split,
        approval,
        drift,
        judge,
        task,
        fieldTypes,
        rollout,
        fieldValues,
        answerSchema);
  }

  /**
   * The same spec training on the retraining data a drift check prepared, scored also on the fresh
   * hold-out that data was split from.
   */
  public PipelineSpec forRetraining(String datasetPath, String freshHoldoutPath) {
    // The retraining data and the fresh hold-out are written in the pipeline's own format; the
    // spec's eval sets stay the user's files, read with the user's field names.
    List<EvalSet> sets = new ArrayList<>();
    for (EvalSet set : evalSets) {
      sets.add(
          new EvalSet(
              set.name(),
              set.path(),
              set.role(),
              set.inputField() != null ? set.inputField() : dataset.inputField(),
              set.outputField() != null ? set.outputField() : dataset.outputField()));
    }
    sets.add(
        new EvalSet(
            EvalSetRole.FRESH_HOLDOUT_NAME,
            freshHoldoutPath,
            EvalSetRole.FRESH_HOLDOUT,
            "input",
            "output"));
    return new PipelineSpec(
        name,
        // The pipeline's own format keeps a chat row's context beside input and output.
        new Dataset(datasetPath, "input", "output", null),
        outputFields,
        sets,
        prompt,
        target,
        model,
        provider,
        split,
        approval,
        drift,
        judge,
        task,
        fieldTypes,
        rollout,
        fieldValues,
        answerSchema);
  }
}
