package io.finetune.cli;

import io.finetune.activities.dataset.DatasetCheck;
import io.finetune.workflows.dataset.DatasetActivities.ImportRequest;
import io.finetune.workflows.dataset.SpecImports;
import io.finetune.workflows.spec.PipelineSpec;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The check {@code start} and {@code eval} make before they start a run: every file the run will
 * import (the dataset and each eval set, with the requests the workflows send) is read here by the
 * import's own rules ({@link DatasetCheck}), line by line, so that a file the run would refuse a
 * moment later is refused now, with file, line and reason, and nothing starts.
 */
final class Preflight {
  private Preflight() {}

  /** A file checked, and how the spec names it ("dataset", "eval set NAME"). */
  record Checked(String label, DatasetCheck.Result result) {}

  /**
   * Checks every file a run of {@code spec} imports, with the requests its workflow sends (the
   * dataset, then each eval set); throws a {@link UserError} naming each file that would fail, with
   * its first problems, and returns what was read when none would.
   */
  static List<Checked> check(PipelineSpec spec) {
    List<Checked> results = new ArrayList<>();
    results.add(check("dataset", SpecImports.dataset(spec)));
    for (ImportRequest set : SpecImports.evalSets(spec)) {
      results.add(check("eval set " + set.name(), set));
    }
    List<Checked> failed = results.stream().filter(c -> !c.result().ok()).toList();
    if (!failed.isEmpty()) {
      throw new UserError(refusal(failed));
    }
    return results;
  }

  private static Checked check(String label, ImportRequest r) {
    try {
      return new Checked(label, DatasetCheck.check(r));
    } catch (UncheckedIOException e) {
      throw new UserError(r.path() + ": cannot read: " + e.getCause().getMessage(), e);
    }
  }

  private static String refusal(List<Checked> failed) {
    StringBuilder s =
        new StringBuilder(
            "the run would fail at its import, so it was not started (checked before starting;"
                + " --no-preflight skips the check):");
    for (Checked c : failed) {
      DatasetCheck.Result r = c.result();
      if (r.fileProblem() != null) {
        s.append("\n  ").append(c.label()).append(": ").append(r.importFailure());
        continue;
      }
      s.append("\n  ").append(c.label()).append(": ");
      s.append(r.problemCount()).append(" unreadable row(s)");
      r.problemLines().forEach(line -> s.append("\n    ").append(line));
    }
    return s.toString();
  }

  /** One line for a run's output: what was checked. */
  static String summary(List<Checked> results) {
    boolean invalid = results.stream().anyMatch(c -> c.result().problemCount() > 0);
    return "  preflight: "
        + results.stream()
            .map(
                c ->
                    c.label()
                        + " "
                        + c.result().rows()
                        + " rows"
                        + (c.result().problemCount() == 0
                            ? ""
                            : " and "
                                + c.result().problemCount()
                                + " that cannot be read (dataset.invalidRows: review: listed at the"
                                + " data review)"))
            .collect(Collectors.joining(", "))
        + (invalid ? "" : ", all readable");
  }

  /** What a run's output says instead when the check was skipped. */
  static final String SKIPPED =
      "  preflight skipped (--no-preflight): the run's import checks the data";
}
