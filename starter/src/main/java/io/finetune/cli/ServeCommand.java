package io.finetune.cli;

import io.finetune.gateway.GatewayServer;
import io.finetune.serve.GatewayApplication;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "serve",
    description =
        "Runs the production gateway: an OpenAI-compatible POST /v1/chat/completions (and POST"
            + " /v1/feedback) in front of the registry's promoted models, with the worker's"
            + " providers and database (application.yaml). Needs no Temporal server. Requests"
            + " need a token of './finetune tokens create'.")
class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      description = "Port to listen on (default: finetune.gateway.port, 8800; 0: a free port)")
  Integer port;

  @Option(
      names = "--host",
      description = "Address to bind (default: finetune.gateway.host, 127.0.0.1)")
  String host;

  @Option(
      names = "--allow-remote",
      description =
          "Allow a host other than loopback (the gateway speaks plain HTTP: put a TLS proxy in"
              + " front of it)")
  boolean allowRemote;

  @Option(
      names = "--home",
      description =
          "Worker state folder, holding the database (default: $FINETUNE_HOME or" + " ~/.finetune)")
  Path home;

  @Spec CommandSpec spec;

  /** Stops the running gateway as Ctrl-C would; for tests that run serve in a thread. */
  static volatile Runnable stopForTests;

  @Override
  public Integer call() throws InterruptedException {
    if (host != null && !allowRemote && !GatewayApplication.isLoopback(host)) {
      throw new UserError(GatewayApplication.remoteRefusal(host));
    }
    Map<String, Object> props = new HashMap<>();
    if (home != null) {
      props.put("finetune.home", home.toAbsolutePath().toString());
    }
    if (host != null) {
      props.put("finetune.gateway.host", host);
    }
    if (port != null) {
      props.put("finetune.gateway.port", port);
    }
    props.put(GatewayApplication.ALLOW_REMOTE, allowRemote);
    ConfigurableApplicationContext gateway;
    try {
      gateway = GatewayApplication.serve(props);
    } catch (RuntimeException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof GatewayApplication.StartFailure failure) {
          throw new UserError(failure.getMessage());
        }
      }
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable stop =
        () -> {
          gateway.close(); // the gateway finishes its requests and writes every trace
          stopped.countDown();
        };
    Thread hook = new Thread(stop, "finetune-serve-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    stopForTests = stop;
    String url = gateway.getBean(GatewayServer.class).baseUrl();
    PrintWriter out = spec.commandLine().getOut();
    out.println("Gateway listening on " + url + " (OpenAI-compatible; model: a registry name).");
    out.println("Call it with a token of './finetune tokens create NAME' in $FINETUNE_TOKEN:");
    out.println();
    out.println("  curl " + url + "/chat/completions \\");
    out.println(
        "    -H \"Authorization: Bearer $FINETUNE_TOKEN\" -H 'Content-Type: application/json' \\");
    out.println(
        "    -d '{\"model\": \"ticket-triage\", \"messages\": [{\"role\": \"user\", \"content\":"
            + " \"My invoice is wrong\"}]}'");
    out.println();
    out.println("Press Ctrl-C to stop (requests in flight finish and every trace is written).");
    out.flush();
    stopped.await();
    if (stopForTests == stop) {
      stopForTests = null;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is what stopped it
    }
    return 0;
  }
}
