package io.finetune.activities.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ChatMessage;
import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.activities.training.FineTuningApi.FineTuningJob;
import io.finetune.activities.training.FineTuningApi.JobRequest;
import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Failures;
import io.finetune.workflows.training.TrainingActivities;
import io.finetune.workflows.training.TrainingActivities.JobProgress;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCanceledException;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public class TrainingActivitiesImpl implements TrainingActivities {
  private static final Logger log = LoggerFactory.getLogger(TrainingActivitiesImpl.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final long HEARTBEAT_SLICE_MILLIS = 10_000;

  /** The date a model snapshot is named by: {@code 2024-07-18}, or {@code 0125}. */
  private static final Pattern SNAPSHOT = Pattern.compile("\\d{4}(-\\d{2}-\\d{2})?");

  private final ArtifactStore store;
  private final Providers providers;

  public TrainingActivitiesImpl(ArtifactStore store, Providers providers) {
    this.store = store;
    this.providers = providers;
  }

  @Override
  public ArtifactRef prepareTrainingFile(TrainingFileRequest r) {
    // Streamed: a training file of any size, one example at a time.
    try (ArtifactStore.LineSink out = store.lines("training-files", "jsonl");
        Rows.RowStream rows = Rows.each(store, r.train())) {
      for (Rows.Numbered x : rows) {
        if (x.row().labeled()) {
          out.line(Rows.json(sftLine(r, x.row())));
        }
      }
      return out.commit();
    }
  }

  /**
   * One chat-format training example: the messages the eval sends for the row (system prompt, a
   * chat row's earlier turns, user input), then the answer: a JSON object of the output fields, or
   * the text of a text task's answer.
   */
  static ObjectNode sftLine(TrainingFileRequest r, Row row) {
    String answer;
    if (row.output().isTextual()) {
      answer = row.output().asText();
    } else {
      ObjectNode fields = JSON.createObjectNode();
      r.outputFields().forEach(f -> fields.set(f, row.output().get(f)));
      answer = Rows.json(fields);
    }
    ObjectNode line = JSON.createObjectNode();
    ArrayNode messages = line.putArray("messages");
    if (row.context().isEmpty()) {
      // As always: the prompt is the system message even when blank.
      messages.addObject().put("role", "system").put("content", r.prompt());
      messages.addObject().put("role", "user").put("content", row.input());
    } else {
      for (ChatMessage m : row.messages(r.prompt())) {
        messages.addObject().put("role", m.role()).put("content", m.content());
      }
    }
    messages.addObject().put("role", "assistant").put("content", answer);
    return line;
  }

  @Override
  public String uploadTrainingFile(UploadRequest r) {
    FineTuningApi api = api(r.provider());
    Path file = store.existing(r.file().path());
    // Before anything is spent: a file the provider would refuse (or silently truncate) fails here,
    // naming its lines. Histories from before the check have no base model: format only.
    TrainingFileRules rules = api.trainingFileRules();
    TrainingFileCheck.require(
        file,
        r.file().path(),
        r.provider(),
        r.validation() ? rules.forValidation() : rules,
        r.baseModel());
    // The file name carries this execution's key and the content hash, so a retry finds the
    // upload it already made, and another run uploads its own.
    String filename = uploadName(r);
    return api.findUpload(filename).orElseGet(() -> api.upload(filename, file));
  }

  static String uploadName(UploadRequest r) {
    String hash = r.file().sha256().substring(0, 24);
    if (r.executionKey() == null) {
      return "finetune-" + hash + ".jsonl"; // histories from before uploads were run-scoped
    }
    String execution =
        ArtifactStore.sha256Hex(r.executionKey().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    return "finetune-" + execution + "-" + hash + ".jsonl";
  }

  @Override
  public String startJob(StartJobRequest r) {
    FineTuningApi api = api(r.provider());
    // Providers have no idempotency key for job creation: look for this execution's job first,
    // and reuse it only when it is the same request (same training file and base model).
    for (FineTuningJob job : api.findJobs(r.executionKey())) {
      if (r.fileId().equals(job.trainingFile()) && sameModel(r.baseModel(), job.baseModel())) {
        log.info("Job {} already exists for execution {}", job.id(), r.executionKey());
        return job.id();
      }
    }
    return api.create(
            new JobRequest(
                r.baseModel(),
                r.fileId(),
                r.validationFileId(),
                r.suffix(),
                r.seed(),
                r.epochs(),
                r.learningRateMultiplier(),
                r.executionKey()))
        .id();
  }

  /**
   * Whether a job's base model is the one asked for. A provider may report the dated snapshot an
   * alias resolved to ({@code gpt-4o-mini} → {@code gpt-4o-mini-2024-07-18}): a retry must still
   * find that job, or it pays for a second one.
   */
  static boolean sameModel(String asked, String reported) {
    if (reported == null) {
      return false;
    }
    String a = asked.toLowerCase(Locale.ROOT);
    String b = reported.toLowerCase(Locale.ROOT);
    return b.equals(a)
        || (b.startsWith(a + "-") && SNAPSHOT.matcher(b.substring(a.length() + 1)).matches());
  }

  /** The job's latest event, for progress; none when the provider does not say. */
  private static String latestEvent(FineTuningApi api, String jobId) {
    try {
      return api.latestEvents(jobId, 1).stream().findFirst().orElse(null);
    } catch (RuntimeException e) {
      return null; // progress is a courtesy: never fail a poll for it
    }
  }

  @Override
  public TrainedModel awaitJob(AwaitJobRequest r) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    ProviderClient client = providers.client(r.provider());
    FineTuningApi api = FineTuningApi.of(client);
    long poll = Math.max(100, client.config().pollMillis());
    while (true) {
      FineTuningJob job = api.get(r.jobId());
      switch (job.state()) {
        case SUCCEEDED -> {
          long tokens = job.trainedTokens() == null ? 0 : job.trainedTokens();
          return new TrainedModel(
              r.jobId(),
              api.trainedModel(job),
              tokens,
              trainingCost(client.config(), job.baseModel(), tokens));
        }
        case FAILED ->
            throw ApplicationFailure.newNonRetryableFailure(
                "Fine-tuning job "
                    + r.jobId()
                    + " failed: "
                    + (job.errorMessage() == null ? "no message" : job.errorMessage())
                    + " (code "
                    + (job.errorCode() == null ? "none" : job.errorCode())
                    + ")",
                Failures.TRAINING_FAILED);
        case CANCELLED ->
            throw ApplicationFailure.newNonRetryableFailure(
                "Fine-tuning job " + r.jobId() + " was cancelled", Failures.TRAINING_FAILED);
        case RUNNING -> {
          // queued, validating, training, uploading, or a status this code does not know yet.
        }
      }
      JobProgress progress =
          new JobProgress(r.jobId(), job.rawStatus(), latestEvent(api, r.jobId()));
      try {
        // Heartbeat well within the heartbeat timeout, however long the poll interval is.
        long slice = heartbeatSliceMillis(ctx.getInfo().getHeartbeatTimeout());
        for (long waited = 0; waited < poll; waited += slice) {
          ctx.heartbeat(progress);
          Thread.sleep(Math.min(slice, poll - waited));
        }
      } catch (ActivityCompletionException e) {
        if (cancelsJob(e)) {
          // The workflow was cancelled: stop paying for the job, then give up.
          log.info("Cancelling fine-tuning job {}: {}", r.jobId(), e.getClass().getSimpleName());
          try {
            api.cancel(r.jobId());
          } catch (RuntimeException cancelFailed) {
            log.warn("Could not cancel job {}: {}", r.jobId(), cancelFailed.getMessage());
          }
        } else {
          log.info(
              "Leaving fine-tuning job {} running: {}", r.jobId(), e.getClass().getSimpleName());
        }
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + r.jobId(), e);
      }
    }
  }

  @Override
  public List<Checkpoint> listCheckpoints(CheckpointsRequest r) {
    FineTuningApi api = api(r.provider());
    if (!api.servesCheckpoints()) {
      return List.of(); // kept as downloads only: nothing to score, the final model is the one
    }
    return api.checkpoints(r.jobId()).stream()
        .map(c -> new Checkpoint(c.modelId(), c.step(), c.metrics()))
        .sorted(Comparator.comparingLong(Checkpoint::step).reversed())
        .toList();
  }

  /** What training {@code tokens} on {@code baseModel} costs; null when the table has no price. */
  static Double trainingCost(ProviderConfig config, String baseModel, long tokens) {
    if (baseModel == null) {
      return null;
    }
    // A provider may report the dated snapshot an alias resolved to: price it as the alias then.
    String alias = baseModel.replaceFirst("-\\d{4}-\\d{2}-\\d{2}$", "");
    return config
        .price(baseModel)
        .or(() -> config.price(alias))
        .filter(p -> p.trainingPerMillion() > 0)
        .map(p -> tokens * p.trainingPerMillion() / 1e6)
        .orElse(null);
  }

  private FineTuningApi api(String provider) {
    return FineTuningApi.of(providers.client(provider));
  }

  /**
   * How long the poll sleeps between heartbeats: at most 10 s, and at most half the heartbeat
   * timeout (a worker may configure it down to seconds), so that a live poll never times out.
   */
  static long heartbeatSliceMillis(Duration heartbeatTimeout) {
    if (heartbeatTimeout == null || heartbeatTimeout.isZero() || heartbeatTimeout.isNegative()) {
      return HEARTBEAT_SLICE_MILLIS;
    }
    return Math.max(50, Math.min(HEARTBEAT_SLICE_MILLIS, heartbeatTimeout.toMillis() / 2));
  }

  /**
   * Whether a heartbeat's refusal means the job must be cancelled: only when the workflow cancelled
   * the poll. Not when this attempt timed out (another attempt, on another worker, polls the same
   * job), nor when this worker shuts down (a restart must not cost the training).
   */
  static boolean cancelsJob(ActivityCompletionException e) {
    return e instanceof ActivityCanceledException;
  }
}
