package io.finetune.cli;

import java.io.PrintWriter;
import picocli.CommandLine.Command;

/**
 * {@code watch ID}: {@code status --wait} with the live progress on standard output: rows evaluated
 * with rate and ETA, the provider job's status and latest event, retries with their reason, until a
 * decision is needed or the run has ended.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "watch",
    description =
        "Follows the latest run of an id live (rows evaluated with rate and ETA, the provider"
            + " job's status and latest event, retries) until a decision is needed or it ends.")
class WatchCommand extends StatusCommand {
  WatchCommand() {
    await = true;
  }

  @Override
  PrintWriter progressOut(PrintWriter out, PrintWriter err) {
    return out;
  }
}
