package io.finetune.activities.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ProviderClient;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public class TrainingActivitiesImpl implements TrainingActivities {
  private static final Logger log = LoggerFactory.getLogger(TrainingActivitiesImpl.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Job metadata naming the candidate execution that created the job (workflow id / run id). */
  static final String EXECUTION_KEY = "finetune_attempt";

  private static final long HEARTBEAT_SLICE_MILLIS = 10_000;

  private final ArtifactStore store;
  private final Providers providers;

  public TrainingActivitiesImpl(ArtifactStore store, Providers providers) {
    this.store = store;
    this.providers = providers;
  }

  @Override
  public ArtifactRef prepareTrainingFile(TrainingFileRequest r) {
    List<Row> rows = Rows.read(store, r.train());
    return store.writeLines(
        "training-files",
        "jsonl",
        () -> rows.stream().filter(Row::labeled).map(row -> Rows.json(sftLine(r, row))).iterator());
  }

  /** One chat-format training example: system prompt, user input, assistant JSON answer. */
  private static ObjectNode sftLine(TrainingFileRequest r, Row row) {
    ObjectNode answer = JSON.createObjectNode();
    r.outputFields().forEach(f -> answer.set(f, row.output().get(f)));
    ObjectNode line = JSON.createObjectNode();
    ArrayNode messages = line.putArray("messages");
    messages.addObject().put("role", "system").put("content", r.prompt());
    messages.addObject().put("role", "user").put("content", row.input());
    messages.addObject().put("role", "assistant").put("content", Rows.json(answer));
    return line;
  }

  @Override
  public String uploadTrainingFile(UploadRequest r) {
    ProviderClient client = providers.client(r.provider());
    // The file name carries this execution's key and the content hash, so a retry finds the
    // upload it already made, and another run uploads its own.
    String filename = uploadName(r);
    for (JsonNode f : client.listFiles().path("data")) {
      if (filename.equals(f.path("filename").asText())
          && "fine-tune".equals(f.path("purpose").asText())) {
        return f.path("id").asText();
      }
    }
    return client.uploadFile(filename, store.existing(r.file().path())).path("id").asText();
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
    ProviderClient client = providers.client(r.provider());
    // Providers have no idempotency key for job creation: look for this execution's job first,
    // and reuse it only when it is the same request (same training file and base model).
    for (JsonNode job : client.listJobsWithMetadata(EXECUTION_KEY, r.executionKey()).path("data")) {
      if (r.executionKey().equals(job.path("metadata").path(EXECUTION_KEY).asText())
          && r.fileId().equals(job.path("training_file").asText())
          && r.baseModel().equals(job.path("model").asText())) {
        log.info(
            "Job {} already exists for execution {}", job.path("id").asText(), r.executionKey());
        return job.path("id").asText();
      }
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("model", r.baseModel());
    body.put("training_file", r.fileId());
    body.put("suffix", r.suffix().length() > 40 ? r.suffix().substring(0, 40) : r.suffix());
    body.put("seed", r.seed());
    body.putObject("metadata").put(EXECUTION_KEY, r.executionKey());
    ObjectNode method = body.putObject("method").put("type", "supervised");
    ObjectNode supervised = method.putObject("supervised");
    if (r.epochs() != null || r.learningRateMultiplier() != null) {
      ObjectNode hp = supervised.putObject("hyperparameters");
      if (r.epochs() != null) {
        hp.put("n_epochs", r.epochs());
      }
      if (r.learningRateMultiplier() != null) {
        hp.put("learning_rate_multiplier", r.learningRateMultiplier());
      }
    }
    if (r.validationFileId() != null) {
      body.put("validation_file", r.validationFileId());
    }
    return client.createJob(body).path("id").asText();
  }

  /** The job's latest event, for progress; none when the provider does not say. */
  private static String latestEvent(ProviderClient client, String jobId) {
    try {
      return client.listJobEvents(jobId, 1).path("data").path(0).path("message").asText(null);
    } catch (RuntimeException e) {
      return null; // progress is a courtesy: never fail a poll for it
    }
  }

  @Override
  public TrainedModel awaitJob(AwaitJobRequest r) {
    ActivityExecutionContext ctx = Activity.getExecutionContext();
    ProviderClient client = providers.client(r.provider());
    long poll = Math.max(100, client.config().pollMillis());
    while (true) {
      JsonNode job = client.getJob(r.jobId());
      String status = job.path("status").asText("unknown");
      switch (status) {
        case "succeeded" -> {
          long tokens = job.path("trained_tokens").asLong();
          return new TrainedModel(
              r.jobId(),
              job.path("fine_tuned_model").asText(),
              tokens,
              trainingCost(client.config(), job.path("model").asText(null), tokens));
        }
        case "failed" -> {
          JsonNode error = job.path("error");
          throw ApplicationFailure.newNonRetryableFailure(
              "Fine-tuning job "
                  + r.jobId()
                  + " failed: "
                  + error.path("message").asText("no message")
                  + " (code "
                  + error.path("code").asText("none")
                  + ")",
              Failures.TRAINING_FAILED);
        }
        case "cancelled" ->
            throw ApplicationFailure.newNonRetryableFailure(
                "Fine-tuning job " + r.jobId() + " was cancelled", Failures.TRAINING_FAILED);
        default -> {
          // validating_files, queued, running, or a status this code does not know yet (pause).
        }
      }
      JobProgress progress = new JobProgress(r.jobId(), status, latestEvent(client, r.jobId()));
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
            client.cancelJob(r.jobId());
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
    ProviderClient client = providers.client(r.provider());
    List<Checkpoint> out = new ArrayList<>();
    for (JsonNode c : client.listJobCheckpoints(r.jobId()).path("data")) {
      Map<String, Double> metrics = new TreeMap<>();
      c.path("metrics")
          .fields()
          .forEachRemaining(
              m -> {
                if (m.getValue().isNumber()) {
                  metrics.put(m.getKey(), m.getValue().asDouble());
                }
              });
      out.add(
          new Checkpoint(
              c.path("fine_tuned_model_checkpoint").asText(),
              c.path("step_number").asLong(),
              metrics));
    }
    out.sort(Comparator.comparingLong(Checkpoint::step).reversed());
    return out;
  }

  /** What training {@code tokens} on {@code baseModel} costs; null when the table has no price. */
  static Double trainingCost(ProviderConfig config, String baseModel, long tokens) {
    return config
        .price(baseModel)
        .filter(p -> p.trainingPerMillion() > 0)
        .map(p -> tokens * p.trainingPerMillion() / 1e6)
        .orElse(null);
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
