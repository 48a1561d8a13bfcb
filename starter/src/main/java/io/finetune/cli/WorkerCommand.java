package io.finetune.cli;

import io.finetune.worker.dev.DevEnvironment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    mixinStandardHelpOptions = true,
    name = "worker",
    description =
        "Runs the worker (workflows + activities, Spring Boot) against an existing Temporal"
            + " server; settings come from application.yaml and the environment.")
class WorkerCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Override
  public Integer call() throws InterruptedException {
    // Fail fast and clearly when nothing answers, before Spring starts.
    temporal.connect().getWorkflowServiceStubs().shutdown();
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("spring.temporal.connection.target", temporal.address());
    props.put("spring.temporal.namespace", temporal.namespace());
    props.put("spring.main.log-startup-info", "false");
    ConfigurableApplicationContext worker = DevEnvironment.startWorker(props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  worker.close();
                  stopped.countDown();
                }));
    System.out.println(
        "Worker polling task queue fine-tune on "
            + temporal.address()
            + " (namespace "
            + temporal.namespace()
            + "). Press Ctrl-C to stop.");
    stopped.await();
    return 0;
  }
}
