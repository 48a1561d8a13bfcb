package io.finetune.workflows.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.eval.EvalActivities.EvalResult;
import io.temporal.common.converter.DataConverter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Results recorded in histories by older workers still read, the newer components null. */
class EvalResultTest {
  private static final DataConverter CONVERTER = DataConverter.getDefaultInstance();

  /** Serializes a result as an older worker wrote it: only the components it had. */
  private static EvalResult readBack(Object olderResult) {
    return CONVERTER.fromPayload(
        CONVERTER.toPayload(olderResult).orElseThrow(), EvalResult.class, EvalResult.class);
  }

  record BeforeUsage(
      String model,
      String dataset,
      int rows,
      int scoredRows,
      Map<String, Double> metrics,
      ArtifactRef predictions) {}

  record BeforeLabelReport(
      String model,
      String dataset,
      int rows,
      int scoredRows,
      Map<String, Double> metrics,
      ArtifactRef predictions,
      EvalActivities.Usage usage) {}

  @Test
  void resultWithoutLabelReportReads() {
    var usage = new EvalActivities.Usage(2, 10.0, 20.0, 30, 4, null);
    EvalResult r =
        readBack(
            new BeforeLabelReport(
                "m",
                "test",
                3,
                2,
                Map.of("exact_match", 0.5),
                new ArtifactRef("p", "h", 1),
                usage));

    assertEquals(0.5, r.metrics().get("exact_match"));
    assertEquals(usage, r.usage());
    assertNull(r.labelReport());
  }

  @Test
  void resultWithoutUsageReads() {
    EvalResult r =
        readBack(
            new BeforeUsage(
                "m", "test", 3, 2, Map.of("exact_match", 0.5), new ArtifactRef("p", "h", 1)));

    assertEquals(2, r.scoredRows());
    assertNull(r.usage());
    assertNull(r.labelReport());
  }

  @Test
  void labelReportRoundTrips() {
    var report = new ArtifactRef("r.json", "abc", 9);
    EvalResult r =
        readBack(
            new EvalResult(
                "m", "test", 3, 2, Map.of(), new ArtifactRef("p", "h", 1), null, null, report));

    assertEquals(report, r.labelReport());
    assertNull(r.usage());
  }

  @Test
  void resultWithoutPreviousRunReads() {
    EvalResult r =
        readBack(
            new BeforeLabelReport("m", "test", 3, 2, Map.of(), new ArtifactRef("p", "h", 1), null));
    assertNull(r.previousRun());
  }

  @Test
  void previousRunRoundTrips() {
    var previous =
        new EvalActivities.RunComparison(
            "wf",
            "run",
            1L,
            "m0",
            false,
            "exact_match",
            3,
            0.5,
            0.75,
            0.25,
            -0.1,
            0.6,
            1,
            2,
            new ArtifactRef("c.jsonl", "c", 5));
    EvalResult r =
        readBack(
            new EvalResult(
                "m",
                "test",
                3,
                2,
                Map.of(),
                new ArtifactRef("p", "h", 1),
                null,
                null,
                null,
                previous));

    assertEquals(previous, r.previousRun());
  }
}
