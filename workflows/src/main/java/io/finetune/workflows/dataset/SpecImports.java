package io.finetune.workflows.dataset;

import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.dataset.DatasetActivities.SplitRequest;
import io.finetune.workflows.spec.PipelineSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * How a spec's files are imported and split, in one place for every workflow that reads a spec: the
 * same spec always gives the same test set (same rows, same hash), whichever workflow split it, so
 * that evals of different workflows line up run over run.
 */
public final class SpecImports {
  private SpecImports() {}

  /** The dataset's import, named {@code train}. */
  public static ImportRequest dataset(PipelineSpec spec) {
    PipelineSpec.Dataset d = spec.dataset();
    ImportRequest r = request(spec, "train", d.path(), d.inputField(), d.outputField(), d.format());
    // Null unless the spec asks for review: the request is then the same as before the field.
    return new ImportRequest(
        r.name(),
        r.path(),
        r.inputField(),
        r.outputField(),
        r.outputFields(),
        r.labelsRequired(),
        r.format(),
        r.task(),
        d.invalidRows());
  }

  /** Each eval set's import, in the spec's order; its fields default to the dataset's. */
  public static List<ImportRequest> evalSets(PipelineSpec spec) {
    PipelineSpec.Dataset d = spec.dataset();
    List<ImportRequest> out = new ArrayList<>();
    for (PipelineSpec.EvalSet set : spec.evalSets()) {
      out.add(
          request(
              spec,
              set.name(),
              set.path(),
              set.inputField() != null ? set.inputField() : d.inputField(),
              set.outputField() != null ? set.outputField() : d.outputField(),
              null)); // an eval set's format is detected: it may differ from the dataset's
    }
    return out;
  }

  /**
   * The seeded split of the imported dataset; {@code validationFraction} sets a validation set
   * apart from the training rows only, so the test set does not depend on it.
   */
  public static SplitRequest split(
      PipelineSpec spec, DatasetRef data, List<DatasetRef> evalSets, double validationFraction) {
    return new SplitRequest(
        data, spec.split().testFraction(), spec.split().seed(), evalSets, validationFraction);
  }

  private static ImportRequest request(
      PipelineSpec spec,
      String name,
      String path,
      String inputField,
      String outputField,
      String format) {
    return new ImportRequest(
        name, path, inputField, outputField, spec.outputFields(), true, format, spec.task());
  }
}
