package io.finetune.cli;

import io.finetune.activities.registry.Deployments;
import io.finetune.activities.registry.Deployments.AuditEntry;
import io.finetune.workflows.rollout.RolloutActivities.Deployment;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** What serves a model and every change to it: promotions, canaries, slow evals, rollbacks. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description =
        "Shows what serves MODEL now and its audit: every promotion, canary, slow eval, roll-out"
            + " and rollback, with who, when, why and the figures.")
class AuditCommand implements Callable<Integer> {
  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  @Parameters(paramLabel = "MODEL", description = "The registry name, e.g. ticket-triage")
  String model;

  @Option(names = "--last", description = "How many entries, newest last (default: 50)")
  int last = 50;

  @Mixin WorkerHome home;

  @Spec CommandSpec spec;

  private record Seen(Deployment serving, List<AuditEntry> audit) {}

  @Override
  public Integer call() {
    Seen seen =
        home.with(
            db -> {
              Deployments d = new Deployments(db.dataSource());
              return new Seen(d.get(model), d.audit(model, last));
            });
    PrintWriter out = spec.commandLine().getOut();
    if (seen.serving() == null && seen.audit().isEmpty()) {
      throw new UserError(
          "Nothing recorded for '"
              + model
              + "': it has not been promoted since rollouts exist (see `./finetune list`).");
    }
    if (seen.serving() != null) {
      Deployment s = seen.serving();
      out.println(
          model
              + ": v"
              + s.stable()
              + " serves"
              + (s.canary() == null
                  ? " all traffic"
                  : String.format(
                      Locale.ROOT,
                      "; canary v%d serves %.0f%% of it",
                      s.canary(),
                      100 * s.canaryShare())));
    }
    out.printf("%-19s  %-20s  %-7s  %-12s  %s%n", "WHEN (UTC)", "ACTION", "VERSION", "BY", "WHY");
    for (AuditEntry e : seen.audit()) {
      out.printf(
          "%-19s  %-20s  %-7s  %-12s  %s%n",
          WHEN.format(Instant.ofEpochMilli(e.atMillis())),
          e.action(),
          versions(e),
          e.actor(),
          e.reason() == null ? "" : e.reason());
    }
    return 0;
  }

  private static String versions(AuditEntry e) {
    if (e.fromVersion() == null) {
      return e.toVersion() == null ? "" : "v" + e.toVersion();
    }
    return "v" + e.fromVersion() + ">v" + e.toVersion();
  }
}
