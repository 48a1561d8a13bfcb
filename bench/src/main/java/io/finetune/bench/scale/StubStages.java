package io.finetune.bench.scale;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.eval.EvalActivities;
import io.finetune.workflows.eval.JudgeActivities;
import io.finetune.workflows.notify.NotificationActivities;
import io.finetune.workflows.registry.RegistryActivities;
import io.finetune.workflows.training.TrainingActivities;
import io.temporal.activity.Activity;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stages of a model's life that reach outside (training at a provider, the registry's database,
 * a judge, a webhook) as stubs: each sleeps for the time its workflow id names ({@code
 * ...-sleep1000-...}: 1 s; the pipeline's child workflows carry their parent's id) and returns a
 * small, realistic result: references to artifacts, never their content. With {@link StubData} (or
 * the real dataset and eval activities) a worker runs the real pipeline workflow with them.
 */
public final class StubStages
    implements TrainingActivities, RegistryActivities, JudgeActivities, NotificationActivities {
  private static final Pattern SLEEP = Pattern.compile("-sleep(\\d+)-");

  /** Sleeps for the time the current activity's workflow id names (none: no sleep). */
  static void stage() {
    Matcher m = SLEEP.matcher(Activity.getExecutionContext().getInfo().getWorkflowId());
    if (m.find()) {
      try {
        Thread.sleep(Long.parseLong(m.group(1)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  static ArtifactRef artifact(String name) {
    return new ArtifactRef(
        "/var/finetune/artifacts/" + name,
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        48_213);
  }

  @Override
  public ArtifactRef prepareTrainingFile(TrainingFileRequest request) {
    stage();
    return artifact("training/" + request.train().sha256() + "-sft.jsonl");
  }

  @Override
  public String uploadTrainingFile(UploadRequest request) {
    stage();
    return "file-" + Integer.toHexString(request.file().sha256().hashCode());
  }

  @Override
  public String startJob(StartJobRequest request) {
    stage();
    return "ftjob-" + Integer.toHexString((request.baseModel() + request.fileId()).hashCode());
  }

  @Override
  public TrainedModel awaitJob(AwaitJobRequest request) {
    stage();
    return new TrainedModel(request.jobId(), "ft:bench-model:" + request.jobId(), 1_234_567);
  }

  @Override
  public List<Checkpoint> listCheckpoints(CheckpointsRequest request) {
    stage();
    return List.of();
  }

  @Override
  public ModelVersion promote(PromoteRequest request) {
    stage();
    return new ModelVersion(
        request.name(),
        1,
        request.modelId(),
        request.provider(),
        request.size(),
        request.metrics(),
        request.spec(),
        request.dataset(),
        request.runId(),
        request.approvedBy(),
        0);
  }

  @Override
  public ModelVersion current(String name) {
    stage();
    return null;
  }

  @Override
  public ModelVersion find(String name) {
    stage();
    return null;
  }

  @Override
  public JudgeResult judge(JudgeRequest request) {
    stage();
    return new JudgeResult(
        request.judgeModel(),
        request.candidateModel(),
        request.baselineModel(),
        100,
        60,
        20,
        20,
        3,
        0,
        artifact("verdicts/" + request.candidateModel() + ".jsonl"));
  }

  @Override
  public Alignment alignment(AlignmentRequest request) {
    stage();
    return new Alignment(request.judgeModel(), 40, 0.9, 0.8, artifact("alignment.jsonl"));
  }

  @Override
  public boolean remind(Reminder reminder) {
    stage();
    return false;
  }

  /** Dataset and eval stages as stubs (the pipeline's own data stages, each one sleep). */
  public static final class StubData
      implements io.finetune.workflows.dataset.DatasetActivities, EvalActivities {
    private static DatasetRef ref(String name, int rows) {
      return new DatasetRef(
          name,
          "/var/finetune/artifacts/datasets/" + name + ".jsonl",
          Integer.toHexString(name.hashCode()) + "e3b0c44298fc1c149afbf4c8996fb924",
          rows,
          rows);
    }

    @Override
    public DatasetRef importDataset(ImportRequest request) {
      stage();
      return ref(request.name(), 1000);
    }

    @Override
    public SplitResult split(SplitRequest request) {
      stage();
      return new SplitResult(
          ref("train", 810),
          ref("test", 100),
          3,
          0,
          Map.of(),
          request.validationFraction() > 0 ? ref("validation", 90) : null);
    }

    @Override
    public DataReport profile(ProfileRequest request) {
      stage();
      return new DataReport(
          artifact("reports/report.json"),
          artifact("reports/report.md"),
          request.data().rows(),
          3,
          0,
          0,
          0,
          40,
          List.of(),
          List.of(),
          null,
          ref("flagged", 12));
    }

    @Override
    public CorrectionResult applyCorrections(CorrectionRequest request) {
      throw new UnsupportedOperationException("not benchmarked");
    }

    /** Not reached: the stub's data sets are under one shard. */
    @Override
    public ShardAnswers answerShard(ShardRequest request) {
      stage();
      return new ShardAnswers(request.from(), request.to(), artifact("answers.jsonl"));
    }

    @Override
    public EvalResult scoreShards(ScoreRequest request) {
      return evaluate(request.eval());
    }

    @Override
    public EvalResult evaluate(EvalRequest request) {
      stage();
      // A tuned model beats the prompt, which misses the target: the run goes through training.
      double score = request.model().startsWith("ft:") ? 0.8 : 0.5;
      EvalActivities.Intervals intervals = null;
      if (request.keyMetric() != null) {
        EvalActivities.Comparison vs =
            request.pairedWith() == null
                ? null
                : new EvalActivities.Comparison(request.pairedModel(), 0.3, 0.25, 0.35);
        intervals =
            new EvalActivities.Intervals(request.keyMetric(), 100, score - 0.05, score + 0.05, vs);
      }
      return new EvalResult(
          request.model(),
          request.data().name(),
          100,
          100,
          Map.of("exact_match", score, "field:category", score, "field:priority", score),
          artifact("predictions/" + request.model() + ".jsonl"),
          new EvalActivities.Usage(100, 50.0, 90.0, 5_000, 800, null),
          intervals,
          null,
          null);
    }
  }
}
