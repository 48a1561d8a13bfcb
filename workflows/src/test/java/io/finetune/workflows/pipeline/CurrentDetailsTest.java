package io.finetune.workflows.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.dataset.DatasetActivities.DataReport;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CurrentDetailsTest {
  private static final ArtifactRef MD = new ArtifactRef("/home/reports/r.md", "r", 10);
  private static final ArtifactRef HTML = new ArtifactRef("/home/reports/r.html", "h", 10);

  private static PipelineStatus atDataReview(DataReport report) {
    return new PipelineStatus(
        "triage",
        "cli",
        Stage.DATA_REVIEW,
        Checkpoint.DATA_REVIEW,
        "exact_match",
        0.9,
        null,
        null,
        Map.of(),
        report,
        List.of(),
        List.of(),
        Map.of(),
        null,
        null,
        null,
        List.of(),
        List.of(),
        List.of(),
        null,
        null,
        null,
        null,
        null);
  }

  @Test
  void atTheDataReviewBothReportsAreNamed_anOlderReportOnlyItsMarkdown() {
    DataReport withHtml =
        new DataReport(MD, MD, 100, 0, 0, 0, 0, 5, List.of(), List.of(), HTML, null);
    String details = CurrentDetails.of("triage-1", atDataReview(withHtml));
    assertTrue(
        details.contains(
            "Data report: `/home/reports/r.md`, with charts: `/home/reports/r.html`\n\n"),
        details);

    DataReport older = new DataReport(MD, MD, 100, 0, 0, 0, 0, 5, List.of(), List.of());
    String before = CurrentDetails.of("triage-1", atDataReview(older));
    assertTrue(before.contains("Data report: `/home/reports/r.md`\n\n"), before);
    assertFalse(before.contains(".html"), before);
  }
}
