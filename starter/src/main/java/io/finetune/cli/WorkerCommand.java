package io.finetune.cli;

import io.finetune.worker.SearchAttributesCheck;
import io.finetune.worker.WorkerApplication;
import io.finetune.worker.WorkerConnection;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "worker",
    description =
        "Runs the worker (workflows + activities, Spring Boot) against an existing Temporal"
            + " server; settings come from application.yaml and the environment.")
class WorkerCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    // Fail fast and clearly when nothing answers, before Spring starts.
    temporal.connect().getWorkflowServiceStubs().shutdown();
    Map<String, Object> props = WorkerConnection.properties(temporal.profile());
    props.put("spring.main.log-startup-info", "false");
    ConfigurableApplicationContext worker;
    try {
      worker = WorkerApplication.start(props);
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof SearchAttributesCheck.MissingSearchAttributes missing) {
          throw new UserError(missing.getMessage());
        }
      }
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  worker.close();
                  stopped.countDown();
                }));
    spec.commandLine()
        .getOut()
        .println(
            "Worker polling task queue fine-tune on "
                + temporal.address()
                + " (namespace "
                + temporal.namespace()
                + "). Press Ctrl-C to stop.");
    stopped.await();
    return 0;
  }
}
