package io.finetune.bench.scale;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import io.finetune.activities.dataset.DatasetActivitiesImpl;
import io.finetune.activities.eval.EvalActivitiesImpl;
import io.finetune.activities.provider.ProviderConfig;
import io.finetune.activities.provider.Providers;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.eval.EvalRunImpl;
import io.finetune.workflows.pipeline.FineTunePipelineImpl;
import io.finetune.workflows.training.TrainCandidateImpl;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.client.WorkflowClient;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A worker process for bench/run: the production workflows (pipeline, candidate, eval run) and a
 * bare SDK workflow on one task queue, with the SDK's default worker options as the production
 * worker has them (it sets none). Activities are {@link StubStages} for everything that reaches
 * outside; the dataset and eval activities are stubs too ({@code stub}) or the real ones ({@code
 * real}: {@link DatasetActivitiesImpl} on an artifact store of its own, {@link EvalActivitiesImpl}
 * against the provider {@code bench} at PROVIDER_URL with an inference pool of CONCURRENCY threads,
 * which is what the worker's {@code finetune.inference-concurrency} sizes).
 *
 * <p>Prints {@code ready} once polling, then every 250 ms {@code heap PEAK_USED USED} (bytes) and
 * once a second {@code metrics NAME=VALUE ...}: the SDK's worker metrics so far ({@link #metrics}).
 *
 * <pre>
 * java io.finetune.bench.scale.BenchWorker TARGET QUEUE stub|real HOME [PROVIDER_URL CONCURRENCY]
 * </pre>
 */
public final class BenchWorker {
  private BenchWorker() {}

  public static void main(String[] args) throws Exception {
    String target = args[0];
    String queue = args[1];
    boolean real = args[2].equals("real");
    Path home = Path.of(args[3]);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Scope scope =
        new RootScopeBuilder()
            .reporter(new MicrometerClientStatsReporter(registry))
            .reportEvery(com.uber.m3.util.Duration.ofMillis(100));
    WorkflowServiceStubs service =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget(target)
                .setMetricsScope(scope)
                .build());
    WorkflowClient client = WorkflowClient.newInstance(service);
    WorkerFactory factory = WorkerFactory.newInstance(client);
    // -Dworker.pollers=N: N pollers each for workflow and activity tasks (an experiment; unset:
    // the SDK's defaults, as the production worker has them).
    Integer pollers = Integer.getInteger("worker.pollers");
    Worker worker =
        pollers == null
            ? factory.newWorker(queue)
            : factory.newWorker(
                queue,
                WorkerOptions.newBuilder()
                    .setMaxConcurrentWorkflowTaskPollers(pollers)
                    .setMaxConcurrentActivityTaskPollers(pollers)
                    .build());
    worker.registerWorkflowImplementationTypes(
        FineTunePipelineImpl.class,
        TrainCandidateImpl.class,
        EvalRunImpl.class,
        Bare.ChainImpl.class);
    worker.registerActivitiesImplementations(new StubStages(), new Bare.StepImpl());
    ExecutorService inference = null;
    if (real) {
      String providerUrl = args[4];
      int concurrency = Integer.parseInt(args[5]);
      ArtifactStore store = new ArtifactStore(home.resolve("artifacts"));
      inference = Executors.newFixedThreadPool(concurrency);
      Providers providers =
          new Providers(List.of(new ProviderConfig("bench", providerUrl, "", 1000)));
      worker.registerActivitiesImplementations(
          new DatasetActivitiesImpl(store), new EvalActivitiesImpl(store, providers, inference));
    } else {
      worker.registerActivitiesImplementations(new StubStages.StubData());
    }
    ExecutorService pool = inference;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  factory.shutdownNow();
                  if (pool != null) {
                    pool.shutdownNow();
                  }
                  service.shutdownNow();
                }));
    factory.start();
    System.out.println("ready");
    System.out.flush();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long peak = 0;
    long ticks = 0;
    while (true) {
      long used = memory.getHeapMemoryUsage().getUsed();
      peak = Math.max(peak, used);
      System.out.println("heap " + peak + " " + used);
      if (++ticks % 4 == 0) { // once a second: walking the meters costs the worker CPU
        StringBuilder line = new StringBuilder("metrics");
        metrics(registry).forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
        System.out.println(line);
      }
      System.out.flush();
      TimeUnit.MILLISECONDS.sleep(250);
    }
  }

  /**
   * The SDK's worker metrics so far, summed over tags but the workflow type: for each timer {@code
   * NAME.count} and {@code NAME.ms} (by workflow type as {@code NAME.TYPE.count}, {@code .ms}),
   * counters by name, gauges by name and worker type. Names lose their {@code temporal_} prefix.
   */
  static Map<String, Double> metrics(SimpleMeterRegistry registry) {
    Map<String, Double> out = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      String name = m.getId().getName().replace("temporal_", "");
      String type = m.getId().getTag("workflow_type");
      if (m instanceof Timer t) {
        for (String key : type == null ? List.of(name) : List.of(name, name + "." + type)) {
          out.merge(key + ".count", (double) t.count(), Double::sum);
          out.merge(key + ".ms", t.totalTime(TimeUnit.MILLISECONDS), Double::sum);
        }
      } else if (m instanceof Counter c) {
        out.merge(name, c.count(), Double::sum);
      } else if (m instanceof Gauge g) {
        String worker = m.getId().getTag("worker_type");
        out.merge(worker == null ? name : name + "." + worker, g.value(), Double::sum);
      }
    }
    return out;
  }
}
