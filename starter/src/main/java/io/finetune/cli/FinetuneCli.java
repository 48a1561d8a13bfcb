package io.finetune.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code finetune} command line. */
@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    version = "finetune 0.1.0",
    description = "Runs the life of a fine-tuned LLM as durable Temporal workflows.",
    subcommands = {
      DevCommand.class,
      WorkerCommand.class,
      SetupCommand.class,
      StartCommand.class,
      EvalCommand.class,
      StatusCommand.class,
      WatchCommand.class,
      ListCommand.class,
      DecideCommand.Approve.class,
      DecideCommand.Reject.class,
      ReviewCommand.class,
      CancelCommand.class,
      DriftCheckCommand.class,
      Schedules.class,
      DemoCommand.class,
      GenerateExampleCommand.class,
      ServeCommand.class,
      TokensCommand.class,
      TracesCommand.class,
      IngestCommand.class,
      RollbackCommand.class,
      AuditCommand.class,
      CommandLine.HelpCommand.class
    })
public class FinetuneCli {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    return newCommandLine().execute(args);
  }

  /**
   * The command line with its error handling; commands write to its {@code getOut()} and {@code
   * getErr()}, so that a test can run them in-process on writers of its own.
   */
  static CommandLine newCommandLine() {
    CommandLine cli = new CommandLine(new FinetuneCli());
    // Expected failures (no server, bad spec, refused decision) print one clear message, no trace.
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof UserError) {
            commandLine.getErr().println("error: " + e.getMessage());
            return 2;
          }
          // Anything else is unexpected: say what happened; the trace only on request.
          commandLine.getErr().println("error: " + TemporalOptions.rootMessage(e));
          if (System.getenv("FINETUNE_DEBUG") != null) {
            e.printStackTrace(commandLine.getErr());
          } else {
            commandLine.getErr().println("(set FINETUNE_DEBUG=1 to see the stack trace)");
          }
          return 1;
        });
    return cli;
  }
}
