package io.finetune.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "dev",
    description = {
      "Starts a Temporal dev server on 127.0.0.1, the worker and the local provider, and stays up"
          + " until Ctrl-C.",
      "With the Temporal CLI installed (./scripts/install-temporal-cli) it is the real server:"
          + " runs kept under the home folder across restarts, Schedules, the Web UI on port+1000."
          + " Without it (or with --embedded), the embedded in-memory server."
    })
class DevCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--port", description = "Port on 127.0.0.1 (default: ${DEFAULT-VALUE})")
  int port = 7233;

  @Option(
      names = "--home",
      description = "Worker state folder (default: $FINETUNE_HOME or ~/.finetune)")
  Path home;

  @Option(
      names = "--no-worker",
      description = "Only the Temporal dev server; run `./finetune worker` yourself")
  boolean noWorker;

  @Option(
      names = "--embedded",
      description = "Use the embedded in-memory server even when the Temporal CLI is installed")
  boolean embedded;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    DevEnvironment env;
    try {
      env =
          DevEnvironment.start(
              port,
              home == null ? Home.defaultHome() : home,
              embedded,
              !noWorker,
              line -> {
                out.println(line);
                out.flush();
              });
    } catch (IllegalStateException e) {
      throw new UserError(e.getMessage(), e);
    }
    String target = env.target();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    env.close();
                  } catch (Exception e) {
                    err.println("error while stopping: " + e);
                    err.flush();
                  }
                  stopped.countDown();
                }));
    out.println(env.server().description() + " listening on " + target);
    env.server().webUi().ifPresent(ui -> out.println("Web UI: " + ui));
    out.println(
        noWorker
            ? "No worker: start one with `./finetune worker` (TEMPORAL_ADDRESS=" + target + ")."
            : "Worker polling task queue fine-tune; local provider on 127.0.0.1.");
    out.println("Use it from another terminal, e.g.:");
    out.println("  ./finetune start examples/ticket-triage/spec.yaml");
    out.println("finetune dev is ready. Press Ctrl-C to stop.");
    out.flush();
    stopped.await();
    return 0;
  }
}
