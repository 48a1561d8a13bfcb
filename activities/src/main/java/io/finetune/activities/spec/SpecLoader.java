package io.finetune.activities.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.finetune.activities.fields.AnswerSchema;
import io.finetune.workflows.common.Names;
import io.finetune.workflows.common.Scores;
import io.finetune.workflows.eval.JudgeActivities;
import io.finetune.workflows.spec.DatasetFormat;
import io.finetune.workflows.spec.EvalSetRole;
import io.finetune.workflows.spec.FieldType;
import io.finetune.workflows.spec.PipelineSpec;
import io.finetune.workflows.spec.Size;
import io.finetune.workflows.spec.TargetReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a spec file, rejects unknown or invalid fields by name (all of them at once, with the line
 * where it can), fills in defaults and makes every path absolute, so that the spec that enters
 * workflow history is complete, typed and unambiguous. Runs where files are: in the CLI.
 */
public final class SpecLoader {
  /** A tenth of the rows scores the provider's checkpoints (apart from the test set). */
  static final double DEFAULT_VALIDATION_FRACTION = 0.10;

  /** How many candidates a sweep may train unless the spec says otherwise. */
  static final int DEFAULT_MAX_CANDIDATES = 12;

  /** How many test rows a judge compares unless the spec says otherwise. */
  static final int DEFAULT_JUDGE_MAX_PAIRS = 200;

  /** The Cohen's kappa with people a judge needs to gate promotion unless the spec says. */
  static final double DEFAULT_JUDGE_MIN_KAPPA = 0.6;

  public static final String LOCAL_PROVIDER = "local";
  private static final List<String> SIZES = Arrays.stream(Size.values()).map(Size::id).toList();
  private static final List<String> TARGET_REASONS =
      Arrays.stream(TargetReason.values()).map(TargetReason::id).toList();
  private static final List<String> TEXT_FORMATS = List.of(DatasetFormat.TEXT, DatasetFormat.CHAT);
  private static final List<String> RESERVED_SET_NAMES =
      List.of(EvalSetRole.TEST_NAME, EvalSetRole.FRESH_HOLDOUT_NAME);

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private SpecLoader() {}

  /** Loads and completes the spec in {@code file} (YAML, or JSON, which is YAML too). */
  public static PipelineSpec load(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new SpecException(file + ": no such spec file");
    }
    SpecFile raw;
    try {
      raw = YAML.readValue(file.toFile(), SpecFile.class);
    } catch (UnrecognizedPropertyException e) {
      List<String> known = e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList();
      throw new SpecException(
          String.format(
              "%s%s: unknown field '%s'; expected one of %s",
              file, line(file, e), path(e), String.join(", ", known)));
    } catch (JsonMappingException e) {
      throw new SpecException(
          String.format(
              "%s%s: field '%s' has the wrong type: %s",
              file, line(file, e), path(e), e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      throw new SpecException(
          file + line(e.getLocation()) + ": not valid YAML/JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new SpecException(file + ": cannot read: " + e.getMessage());
    }
    if (raw == null) {
      throw new SpecException(file + ": the spec is empty");
    }
    return complete(raw, file.toAbsolutePath().getParent(), file.toString());
  }

  /** Validates {@code raw}, resolving relative paths against {@code baseDir}. */
  private static PipelineSpec complete(SpecFile raw, Path baseDir, String source) {
    Problems p = new Problems(source);
    String name = raw.name();
    if (!Names.isValid(name)) {
      p.add("name", "must be " + Names.RULE + " (it names runs and models)");
    }
    SpecFile.Dataset dataset = raw.dataset();
    String datasetPath = null;
    if (dataset == null || dataset.path() == null || dataset.path().isBlank()) {
      p.add("dataset.path", "is required: the JSONL file of labeled examples");
    } else {
      datasetPath = resolve(p, "dataset.path", baseDir, dataset.path());
      if (datasetPath != null && !Files.isRegularFile(Path.of(datasetPath))) {
        p.add("dataset.path", "file not found: " + datasetPath);
      }
    }
    String inputField =
        dataset == null || dataset.inputField() == null ? "input" : dataset.inputField();
    String outputField =
        dataset == null || dataset.outputField() == null ? "output" : dataset.outputField();
    String task = raw.task() == null ? PipelineSpec.TASK_FIELDS : raw.task().trim();
    boolean text = task.equals(PipelineSpec.TASK_TEXT);
    if (!text && !task.equals(PipelineSpec.TASK_FIELDS)) {
      p.add(
          "task",
          "must be "
              + PipelineSpec.TASK_FIELDS
              + " (a JSON answer with outputFields) or "
              + PipelineSpec.TASK_TEXT
              + " (a free-text answer), was "
              + task);
    }
    String format = dataset == null ? null : blankToNull(dataset.format());
    String invalidRows = dataset == null ? null : blankToNull(dataset.invalidRows());
    if (invalidRows != null
        && !invalidRows.equals(PipelineSpec.Dataset.INVALID_ROWS_FAIL)
        && !invalidRows.equals(PipelineSpec.Dataset.INVALID_ROWS_REVIEW)) {
      p.add(
          "dataset.invalidRows",
          "must be fail (a row that cannot be read fails the run) or review (it is kept out of"
              + " training and listed at the data review), was "
              + invalidRows);
    }
    // The default is written as null, so that a spec without the field stays as it was.
    if (PipelineSpec.Dataset.INVALID_ROWS_FAIL.equals(invalidRows)) {
      invalidRows = null;
    }
    if (format != null && !DatasetFormat.ALL.contains(format)) {
      p.add(
          "dataset.format",
          "must be one of " + String.join(", ", DatasetFormat.ALL) + ", was " + format);
    } else if (format != null && text && !TEXT_FORMATS.contains(format)) {
      p.add(
          "dataset.format",
          "task text needs free-text answers: " + String.join(" or ", TEXT_FORMATS));
    } else if (format != null && !text && format.equals(DatasetFormat.TEXT)) {
      p.add("dataset.format", "text answers need task: text (task fields wants JSON objects)");
    }
    Map<String, String> fieldTypes = new LinkedHashMap<>();
    Map<String, List<String>> fieldValues = new LinkedHashMap<>();
    List<String> fields = outputFields(p, raw.outputFields(), fieldTypes, fieldValues);
    if (text) {
      if (fields != null && !fields.isEmpty()) {
        p.add("outputFields", "task text has no output fields: the answer is the whole text");
      }
      fields = List.of();
    } else if (fields == null || fields.isEmpty()) {
      p.add(
          "outputFields", "is required: the fields of the JSON answer, e.g. [category, priority]");
      fields = List.of();
    }
    List<PipelineSpec.EvalSet> evalSets = new ArrayList<>();
    if (raw.evalSets() != null) {
      for (int i = 0; i < raw.evalSets().size(); i++) {
        SpecFile.EvalSet s = raw.evalSets().get(i);
        String at = "evalSets[" + i + "]";
        if (s == null) {
          p.add(at, "is empty: each eval set has a name and a path");
          continue;
        }
        if (!Names.isValid(s.name())) {
          p.add(at + ".name", "must be " + Names.RULE);
        } else if (RESERVED_SET_NAMES.contains(s.name())) {
          p.add(at + ".name", "'" + s.name() + "' is reserved (the pipeline's own sets)");
        } else if (raw.evalSets().subList(0, i).stream().anyMatch(o -> s.name().equals(o.name()))) {
          p.add(at + ".name", "'" + s.name() + "' is taken by another eval set");
        }
        String setPath = s.path() == null ? null : resolve(p, at + ".path", baseDir, s.path());
        if (s.path() == null) {
          p.add(at + ".path", "is required");
        } else if (setPath == null) {
          // not a path: said by resolve
        } else if (!Files.isRegularFile(Path.of(setPath))) {
          p.add(at + ".path", "file not found: " + setPath);
        } else {
          evalSets.add(new PipelineSpec.EvalSet(s.name(), setPath, EvalSetRole.SPEC));
        }
      }
    }
    if (raw.prompt() == null || raw.prompt().isBlank()) {
      p.add("prompt", "is required: the prompt the baseline runs with (rule 1: prompt first)");
    }
    SpecFile.Target target = raw.target();
    String metric = text ? Scores.CHRF : Scores.EXACT_MATCH;
    double score = 0.9;
    String reason = "quality";
    if (target == null || target.score() == null) {
      p.add("target.score", "is required: the score (0-1) at which the prompt is good enough");
    } else {
      score = target.score();
      if (score < 0 || score > 1) {
        p.add("target.score", "must be between 0 and 1, was " + score);
      }
      if (target.metric() != null) {
        metric = target.metric();
      }
      if (target.reason() != null) {
        reason = target.reason().toLowerCase(Locale.ROOT);
      }
    }
    List<String> metrics =
        new ArrayList<>(
            text ? List.of(Scores.TEXT_EXACT_MATCH, Scores.CHRF) : List.of(Scores.EXACT_MATCH));
    fields.forEach(f -> metrics.add(Scores.FIELD_PREFIX + f));
    if (!metrics.contains(metric)) {
      p.add("target.metric", "must be one of " + String.join(", ", metrics) + ", was " + metric);
    }
    if (!TARGET_REASONS.contains(reason)) {
      p.add("target.reason", "must be one of " + String.join(", ", TARGET_REASONS));
    }
    double margin =
        raw.target() == null || raw.target().margin() == null ? 0 : raw.target().margin();
    if (margin < 0 || margin >= 1) {
      p.add("target.margin", "must be at least 0 and below 1, was " + margin);
    }
    String provider = raw.provider() == null ? LOCAL_PROVIDER : raw.provider();
    SpecFile.Model model = raw.model();
    List<String> sizes =
        model == null || model.sizes() == null || model.sizes().isEmpty()
            ? List.of("auto")
            : names(p, "model.sizes", model.sizes()).stream()
                .map(s -> s.toLowerCase(Locale.ROOT))
                .toList();
    for (String s : sizes) {
      if (!s.equals("auto") && !SIZES.contains(s)) {
        p.add("model.sizes", "unknown size '" + s + "'; expected auto or some of " + SIZES);
      }
    }
    if (sizes.contains("auto") && sizes.size() > 1) {
      p.add("model.sizes", "'auto' cannot be combined with other sizes");
    }
    Map<String, String> baseModels = new LinkedHashMap<>();
    if (provider.equals(LOCAL_PROVIDER)) {
      SIZES.forEach(s -> baseModels.put(s, "local-" + s));
    }
    if (model != null && model.baseModels() != null) {
      model
          .baseModels()
          .forEach(
              (size, m) -> {
                if (!SIZES.contains(size)) {
                  p.add("model.baseModels." + size, "unknown size; expected one of " + SIZES);
                }
                if (m == null || m.isBlank()) {
                  p.add("model.baseModels." + size, "is empty: the provider's model id");
                  return;
                }
                baseModels.put(size, m);
              });
    }
    for (String s : sizes.contains("auto") ? SIZES : sizes) {
      if (!baseModels.containsKey(s)) {
        p.add(
            "model.baseModels." + s,
            "is required for provider '" + provider + "': the provider's model id for size " + s);
      }
    }
    String promptModel =
        model != null && model.promptModel() != null
            ? model.promptModel()
            : baseModels.get("large");
    if (model != null
        && blankToNull(model.promptProvider()) != null
        && blankToNull(model.promptModel()) == null) {
      p.add(
          "model.promptModel",
          "is required with model.promptProvider: the model that provider runs the baseline on");
    }
    if (promptModel == null) {
      p.add("model.promptModel", "is required: the model that runs the prompt baseline");
    }
    Integer epochs = model == null ? null : model.epochs();
    if (epochs != null && (epochs < 1 || epochs > 50)) {
      p.add("model.epochs", "must be between 1 and 50");
    }
    double testFraction =
        raw.split() == null || raw.split().testFraction() == null
            ? 0.10
            : raw.split().testFraction();
    if (testFraction < 0.05 || testFraction > 0.10) {
      p.add("split.testFraction", "must be between 0.05 and 0.10 (rule 5), was " + testFraction);
    }
    long seed = raw.split() == null || raw.split().seed() == null ? 42 : raw.split().seed();
    double validationFraction =
        raw.split() == null || raw.split().validationFraction() == null
            ? DEFAULT_VALIDATION_FRACTION
            : raw.split().validationFraction();
    if (validationFraction < 0 || validationFraction > 0.3) {
      p.add(
          "split.validationFraction",
          "must be between 0 (no validation set) and 0.3, was " + validationFraction);
    }
    PipelineSpec.Sweep sweep = sweep(p, model == null ? null : model.sweep());
    if (sweep != null) {
      int variants =
          Math.max(1, sweep.epochs().size()) * Math.max(1, sweep.learningRateMultiplier().size());
      int perSize = sizes.contains("auto") ? 1 : sizes.size();
      if (variants * perSize > sweep.maxCandidates()) {
        p.add(
            "model.sweep",
            String.format(
                Locale.ROOT,
                "%d candidates (%d size%s x %d combinations of epochs and learningRateMultiplier)"
                    + " exceed the budget maxCandidates %d: sweep fewer values or raise it",
                variants * perSize,
                perSize,
                perSize == 1 ? "" : "s",
                variants,
                sweep.maxCandidates()));
      }
    }
    List<String> approvers =
        raw.approval() == null || raw.approval().approvers() == null
            ? List.of()
            : names(p, "approval.approvers", raw.approval().approvers());
    SpecFile.Drift d =
        raw.drift() == null
            ? new SpecFile.Drift(null, null, null, null, null, null, null, null)
            : raw.drift();
    PipelineSpec.Drift drift =
        new PipelineSpec.Drift(
            fraction(p, "drift.maxNewVocabularyRate", d.maxNewVocabularyRate(), 0.05),
            fraction(p, "drift.maxLabelDistance", d.maxLabelDistance(), 0.10),
            fraction(p, "drift.minAccuracy", d.minAccuracy(), 0.0),
            fraction(p, "drift.freshHoldoutFraction", d.freshHoldoutFraction(), 0.2),
            fraction(
                p,
                "drift.maxOutOfRangeRate",
                d.maxOutOfRangeRate(),
                PipelineSpec.Drift.DEFAULT_MAX_OUT_OF_RANGE_RATE),
            fraction(
                p,
                "drift.maxDomainAuc",
                d.maxDomainAuc(),
                PipelineSpec.Drift.DEFAULT_MAX_DOMAIN_AUC),
            maxCategories(p, d.maxCategories()),
            driftSource(p, d.source()));
    PipelineSpec.Judge judge = judge(p, raw.judge(), baseDir, provider, baseModels, promptModel);
    PipelineSpec.RolloutPolicy rollout = rollout(p, raw.rollout(), judge);
    PipelineSpec.Approval approval = approval(p, raw.approval(), approvers);
    String answerSchema = answerSchema(p, raw.answerSchema(), baseDir);
    p.throwIfAny();
    // The task is written out only for text, so that a fields spec stays as older workers wrote it.
    return new PipelineSpec(
        name,
        new PipelineSpec.Dataset(datasetPath, inputField, outputField, format, invalidRows),
        List.copyOf(fields),
        List.copyOf(evalSets),
        raw.prompt(),
        new PipelineSpec.Target(metric, score, TargetReason.of(reason), margin),
        new PipelineSpec.Model(
            sizes.contains("auto") ? List.of() : sizes.stream().map(Size::of).toList(),
            Map.copyOf(baseModels),
            promptModel,
            epochs,
            sweep,
            model == null ? null : blankToNull(model.promptProvider())),
        provider,
        new PipelineSpec.Split(testFraction, seed, validationFraction),
        approval,
        drift,
        judge,
        text ? PipelineSpec.TASK_TEXT : null,
        Map.copyOf(fieldTypes),
        rollout,
        Map.copyOf(fieldValues),
        answerSchema);
  }

  /** Who approves, and the timers of a waiting checkpoint (each optional). */
  private static PipelineSpec.Approval approval(
      Problems p, SpecFile.Approval raw, List<String> approvers) {
    Long remind =
        raw == null || raw.remindAfter() == null
            ? null
            : durationSeconds(p, "approval.remindAfter", raw.remindAfter());
    Long timeout =
        raw == null || raw.timeout() == null
            ? null
            : durationSeconds(p, "approval.timeout", raw.timeout());
    if (remind != null && timeout != null && remind > 0 && remind >= timeout) {
      p.add(
          "approval.remindAfter",
          "must be shorter than approval.timeout, or no reminder is ever sent");
    }
    return new PipelineSpec.Approval(
        List.copyOf(approvers),
        remind,
        timeout,
        raw != null && Boolean.TRUE.equals(raw.requireToken()));
  }

  /** Default rollout settings: a tenth of the traffic for a day, judged on 100 outcomes. */
  static final double DEFAULT_CANARY_SHARE = 0.10;

  static final String DEFAULT_WINDOW = "1d";
  static final int DEFAULT_MIN_EVENTS = 100;
  static final double DEFAULT_MAX_P_VALUE = 0.05;

  /** The rollout as written, checked; null when the spec has none (a promotion serves at once). */
  private static PipelineSpec.RolloutPolicy rollout(
      Problems p, SpecFile.Rollout raw, PipelineSpec.Judge judge) {
    if (raw == null) {
      return null;
    }
    double share = raw.canaryShare() == null ? DEFAULT_CANARY_SHARE : raw.canaryShare();
    if (!(share > 0 && share < 1)) {
      p.add("rollout.canaryShare", "must be above 0 and below 1 (e.g. 0.1), was " + share);
    }
    long window =
        durationSeconds(p, "rollout.window", raw.window() == null ? DEFAULT_WINDOW : raw.window());
    int minEvents = raw.minEvents() == null ? DEFAULT_MIN_EVENTS : raw.minEvents();
    if (minEvents < 1) {
      p.add("rollout.minEvents", "must be at least 1, was " + minEvents);
    }
    double maxP = raw.maxPValue() == null ? DEFAULT_MAX_P_VALUE : raw.maxPValue();
    if (!(maxP > 0 && maxP < 0.5)) {
      p.add("rollout.maxPValue", "must be above 0 and below 0.5 (e.g. 0.05), was " + maxP);
    }
    String onWorse = raw.onWorse() == null ? PipelineSpec.RolloutPolicy.ROLLBACK : raw.onWorse();
    if (!List.of(PipelineSpec.RolloutPolicy.ROLLBACK, PipelineSpec.RolloutPolicy.ASK)
        .contains(onWorse)) {
      p.add(
          "rollout.onWorse",
          "must be rollback (automatic) or ask (a person decides at the rollback checkpoint),"
              + " was '"
              + onWorse
              + "'");
    }
    double judgeShare = fraction(p, "rollout.judgeShare", raw.judgeShare(), 0);
    if (judgeShare > 0 && judge == null) {
      p.add("rollout.judgeShare", "needs a judge: add a judge section, or set it to 0");
    }
    return new PipelineSpec.RolloutPolicy(share, window, minEvents, maxP, onWorse, judgeShare);
  }

  /**
   * {@code 30s}, {@code 15m}, {@code 12h}, {@code 3d}, or ISO-8601 ({@code PT30S}, {@code P3D}).
   */
  private static long durationSeconds(Problems p, String field, String text) {
    String t = text.trim();
    Matcher m = Pattern.compile("([0-9]{1,9})\\s*([smhd])").matcher(t);
    long seconds = -1;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      seconds =
          switch (m.group(2)) {
            case "s" -> n;
            case "m" -> n * 60;
            case "h" -> n * 3600;
            default -> n * 86400;
          };
    } else {
      try {
        seconds = Duration.parse(t.toUpperCase(Locale.ROOT)).toSeconds();
      } catch (DateTimeParseException e) {
        // reported below
      }
    }
    if (seconds < 1) {
      p.add(
          field,
          "must be a duration such as 30s, 15m, 12h or 3d (or ISO-8601, P3D), was '" + text + "'");
    }
    return seconds;
  }

  /**
   * The output fields as a list of names ({@code [category, priority]}: types detected from the
   * data) or a map from name to type ({@code {caller: text, callback_date: date}}; an empty type is
   * detected) or to a label schema ({@code {sentiment: {type: category, values: [positive,
   * negative]}}}); the types named go into {@code types}, the allowed values into {@code values}.
   */
  private static List<String> outputFields(
      Problems p, JsonNode node, Map<String, String> types, Map<String, List<String>> values) {
    List<String> names = new ArrayList<>();
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      names.add(node.asText());
    } else if (node.isArray()) {
      for (JsonNode n : node) {
        if (!n.isTextual() || n.asText().isBlank()) {
          p.add("outputFields", "must list field names, e.g. [category, priority], had " + n);
        } else {
          names.add(n.asText());
        }
      }
    } else if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              e -> {
                names.add(e.getKey());
                fieldSchema(p, "outputFields." + e.getKey(), e.getValue())
                    .ifPresent(
                        schema -> {
                          if (schema.type() != null) {
                            types.put(e.getKey(), schema.type());
                          }
                          if (!schema.values().isEmpty()) {
                            values.put(e.getKey(), schema.values());
                          }
                        });
              });
    } else {
      p.add(
          "outputFields",
          "must be a list of field names or a map from name to type ("
              + String.join(", ", FieldType.IDS)
              + "), was "
              + node);
    }
    return names;
  }

  /**
   * The absolute path of the JSON Schema every answer must meet, checked to be one; null when the
   * spec has none.
   */
  private static String answerSchema(Problems p, String path, Path baseDir) {
    if (path == null || path.isBlank()) {
      return null;
    }
    String file = resolve(p, "answerSchema", baseDir, path.trim());
    if (file == null) {
      return null;
    }
    try {
      AnswerSchema.load(file);
    } catch (IllegalArgumentException e) {
      p.add("answerSchema", e.getMessage());
    }
    return file;
  }

  /** A field's type (null: detected) and the values it allows (empty: any). */
  private record FieldSchema(String type, List<String> values) {}

  /**
   * One field of the {@code outputFields} map: a type name, nothing, or {@code {type: category,
   * values: [...]}} (values imply a category); empty when it is wrong (the problem is recorded).
   */
  private static Optional<FieldSchema> fieldSchema(Problems p, String at, JsonNode v) {
    if (v == null || v.isNull() || (v.isTextual() && v.asText().isBlank())) {
      return Optional.of(new FieldSchema(null, List.of()));
    }
    if (v.isTextual()) {
      try {
        return Optional.of(new FieldSchema(FieldType.of(v.asText()).id(), List.of()));
      } catch (IllegalArgumentException bad) {
        p.add(at, "type " + bad.getMessage());
        return Optional.empty();
      }
    }
    if (!v.isObject()) {
      p.add(
          at,
          "must be a type ("
              + String.join(", ", FieldType.IDS)
              + ") or {type: category, values: [...]}, was "
              + v);
      return Optional.empty();
    }
    List<String> unknown = new ArrayList<>();
    v.fieldNames()
        .forEachRemaining(
            k -> {
              if (!k.equals("type") && !k.equals("values")) {
                unknown.add(k);
              }
            });
    if (!unknown.isEmpty()) {
      p.add(at, "unknown key(s) " + unknown + ": a field has only type and values");
      return Optional.empty();
    }
    JsonNode typeNode = v.get("type");
    JsonNode valuesNode = v.get("values");
    FieldType type = null;
    if (typeNode != null && !typeNode.isNull() && !typeNode.asText().isBlank()) {
      try {
        type = FieldType.of(typeNode.asText());
      } catch (IllegalArgumentException bad) {
        p.add(at + ".type", bad.getMessage());
        return Optional.empty();
      }
    }
    List<String> allowed = new ArrayList<>();
    if (valuesNode != null && !valuesNode.isNull()) {
      if (!valuesNode.isArray() || valuesNode.isEmpty()) {
        p.add(at + ".values", "must be a non-empty list of labels, e.g. [positive, negative]");
        return Optional.empty();
      }
      for (JsonNode n : valuesNode) {
        // YAML reads `yes` or `5` unquoted as other types: a label is compared as text.
        if (!n.isValueNode() || n.isNull() || n.asText().isBlank()) {
          p.add(at + ".values", "must list non-empty labels, had " + n);
          return Optional.empty();
        }
        if (allowed.contains(n.asText())) {
          p.add(at + ".values", "lists '" + n.asText() + "' twice");
          return Optional.empty();
        }
        allowed.add(n.asText());
      }
      if (type == null) {
        type = FieldType.CATEGORY;
      } else if (type != FieldType.CATEGORY) {
        p.add(at + ".values", "only a category has a set of values; this field is " + type.id());
        return Optional.empty();
      }
    }
    return Optional.of(new FieldSchema(type == null ? null : type.id(), List.copyOf(allowed)));
  }

  /** Null when not given, so that a spec without it is written as before (a folder or file). */
  private static String driftSource(Problems p, String value) {
    if (value != null && !PipelineSpec.Drift.SOURCES.contains(value)) {
      p.add(
          "drift.source",
          "must be one of " + String.join(", ", PipelineSpec.Drift.SOURCES) + ", was " + value);
    }
    return value;
  }

  private static Integer maxCategories(Problems p, Integer value) {
    if (value == null) {
      return PipelineSpec.Drift.DEFAULT_MAX_CATEGORIES;
    }
    if (value < 2) {
      p.add("drift.maxCategories", "must be at least 2, was " + value);
    }
    return value;
  }

  /**
   * The judge as written, checked; null when the spec has none. A judge of the same family as a
   * candidate (one of the base models, or a model tuned from one) is refused: judges prefer their
   * own answers.
   */
  private static PipelineSpec.Judge judge(
      Problems p,
      SpecFile.Judge raw,
      Path baseDir,
      String specProvider,
      Map<String, String> baseModels,
      String promptModel) {
    if (raw == null) {
      return null;
    }
    String model = blankToNull(raw.model());
    if (model == null) {
      p.add("judge.model", "is required: the model that compares the answers, e.g. local-judge");
    } else {
      String family = JudgeActivities.baseOf(model);
      for (Map.Entry<String, String> base : baseModels.entrySet()) {
        if (family.equals(base.getValue())) {
          p.add(
              "judge.model",
              String.format(
                  "'%s' %s the base model of size %s (model.baseModels.%s): a judge prefers"
                      + " its own family's answers; pick a model of another family",
                  model,
                  model.equals(base.getValue()) ? "is" : "is tuned from",
                  base.getKey(),
                  base.getKey()));
          break;
        }
      }
      // It compares the candidates with the prompt baseline: not the baseline's family either.
      if (promptModel != null && family.equals(JudgeActivities.baseOf(promptModel))) {
        p.add(
            "judge.model",
            String.format(
                "'%s' is of the prompt baseline's family (model.promptModel %s): a judge prefers"
                    + " its own family's answers; pick a model of another family",
                model, promptModel));
      }
    }
    int maxPairs = raw.maxPairs() == null ? DEFAULT_JUDGE_MAX_PAIRS : raw.maxPairs();
    if (maxPairs < 1) {
      p.add("judge.maxPairs", "must be at least 1, was " + maxPairs);
    }
    String alignment = null;
    if (blankToNull(raw.alignment()) != null) {
      alignment = resolve(p, "judge.alignment", baseDir, raw.alignment().trim());
      if (alignment != null && !Files.isRegularFile(Path.of(alignment))) {
        p.add("judge.alignment", "file not found: " + alignment);
      }
    }
    double minKappa = raw.minKappa() == null ? DEFAULT_JUDGE_MIN_KAPPA : raw.minKappa();
    if (minKappa < -1 || minKappa > 1) {
      p.add("judge.minKappa", "must be between -1 and 1 (Cohen's kappa), was " + minKappa);
    }
    String provider = blankToNull(raw.provider());
    return new PipelineSpec.Judge(
        model,
        provider == null ? specProvider : provider,
        blankToNull(raw.rubric()),
        maxPairs,
        alignment,
        minKappa,
        raw.gate() != null && raw.gate());
  }

  /** The names of a list, each an empty one (e.g. {@code [~]} or {@code [""]}) reported. */
  private static List<String> names(Problems p, String field, List<String> list) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == null || list.get(i).isBlank()) {
        p.add(field + "[" + i + "]", "is empty: the list names one value per item");
      }
    }
    return list.stream().filter(s -> s != null && !s.isBlank()).toList();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** The sweep as written, checked; null when the spec has none. */
  private static PipelineSpec.Sweep sweep(Problems p, SpecFile.Sweep raw) {
    if (raw == null) {
      return null;
    }
    List<Integer> epochs = raw.epochs() == null ? List.of() : raw.epochs();
    List<Double> rates =
        raw.learningRateMultiplier() == null ? List.of() : raw.learningRateMultiplier();
    for (Integer e : epochs) {
      if (e == null || e < 1 || e > 50) {
        p.add("model.sweep.epochs", "each must be between 1 and 50, was " + e);
      }
    }
    for (Double lr : rates) {
      if (lr == null || lr <= 0 || lr > 10) {
        p.add(
            "model.sweep.learningRateMultiplier", "each must be above 0 and at most 10, was " + lr);
      }
    }
    if (epochs.size() != epochs.stream().distinct().count()
        || rates.size() != rates.stream().distinct().count()) {
      p.add("model.sweep", "lists a value twice: each combination is trained once");
    }
    if (epochs.isEmpty() && rates.isEmpty()) {
      p.add("model.sweep", "names neither epochs nor learningRateMultiplier values to sweep");
    }
    int budget = raw.maxCandidates() == null ? DEFAULT_MAX_CANDIDATES : raw.maxCandidates();
    if (budget < 1) {
      p.add("model.sweep.maxCandidates", "must be at least 1, was " + budget);
    }
    // A null value is reported above; it must not fail the spec's construction instead.
    return new PipelineSpec.Sweep(
        epochs.stream().filter(Objects::nonNull).toList(),
        rates.stream().filter(Objects::nonNull).toList(),
        budget);
  }

  private static double fraction(Problems p, String field, Double value, double dflt) {
    double v = value == null ? dflt : value;
    if (v < 0 || v > 1) {
      p.add(field, "must be between 0 and 1, was " + v);
    }
    return v;
  }

  /** The absolute path of {@code path}; null when it cannot be a path (the problem is added). */
  private static String resolve(Problems problems, String field, Path baseDir, String path) {
    try {
      Path p = Path.of(path);
      return (p.isAbsolute() ? p : baseDir.resolve(p)).normalize().toString();
    } catch (InvalidPathException e) {
      problems.add(field, "is not a file path (" + e.getReason() + ")");
      return null;
    }
  }

  /**
   * The line of the offending key. Jackson's YAML location points past the value, so look the key
   * up instead (first occurrence as a YAML or JSON key), falling back to Jackson's location.
   */
  private static String line(Path file, JsonMappingException e) {
    List<JsonMappingException.Reference> path = e.getPath();
    String key = path.isEmpty() ? null : path.get(path.size() - 1).getFieldName();
    if (key != null) {
      try {
        List<String> lines = Files.readAllLines(file);
        java.util.regex.Pattern p =
            java.util.regex.Pattern.compile(
                "^\\s*(-\\s*)?(\"?)" + java.util.regex.Pattern.quote(key) + "\\2\\s*:.*");
        for (int i = 0; i < lines.size(); i++) {
          if (p.matcher(lines.get(i)).matches()) {
            return ":" + (i + 1);
          }
        }
      } catch (IOException ignored) {
        // fall back to Jackson's location
      }
    }
    return line(e.getLocation());
  }

  private static String line(JsonLocation loc) {
    return loc == null || loc.getLineNr() < 0 ? "" : ":" + loc.getLineNr();
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  private static final class Problems {
    private final String source;
    private final List<String> items = new ArrayList<>();

    Problems(String source) {
      this.source = source;
    }

    void add(String field, String problem) {
      items.add("  " + field + ": " + problem);
    }

    void throwIfAny() {
      if (!items.isEmpty()) {
        throw new SpecException(
            source
                + ": invalid spec ("
                + items.size()
                + " problem(s))\n"
                + String.join("\n", items));
      }
    }
  }
}
