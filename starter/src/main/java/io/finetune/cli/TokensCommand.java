package io.finetune.cli;

import io.finetune.gateway.ApiTokens;
import io.finetune.gateway.ApiTokens.TokenInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The gateway's API tokens, in the worker's database (application.yaml). */
@Command(
    name = "tokens",
    mixinStandardHelpOptions = true,
    description =
        "Creates, revokes and lists the gateway's API tokens (in the worker's database; only"
            + " a token's SHA-256 is stored).",
    subcommands = {
      TokensCommand.Create.class,
      TokensCommand.Revoke.class,
      TokensCommand.ListTokens.class
    })
class TokensCommand {
  private static final DateTimeFormatter WHEN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  /** The options every tokens command takes. */
  static class Common {
    @Mixin WorkerHome home;

    @Spec CommandSpec spec;

    <T> T withTokens(Function<ApiTokens, T> action) {
      return home.with(db -> action.apply(db.bean(ApiTokens.class)));
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Creates a token called NAME and prints it, once: it is not stored.")
  static class Create extends Common implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "What the token is for, e.g. my-app")
    String name;

    @Override
    public Integer call() {
      ApiTokens.Created created;
      try {
        created = withTokens(tokens -> tokens.create(name));
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage());
      }
      PrintWriter out = out();
      out.println("Created token '" + name + "' (" + created.info().id() + "):");
      out.println();
      out.println("  " + created.token());
      out.println();
      out.println(
          "Copy it now: it is shown this once and is not stored (only its SHA-256 is), so it"
              + " cannot be shown again. Lost: revoke it and create another.");
      out.println(
          "Give it to a client as FINETUNE_TOKEN (the header 'Authorization: Bearer ...').");
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revokes the active token called NAME (or with that id): refused from then on.")
  static class Revoke extends Common implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "The token's name or id")
    String name;

    @Override
    public Integer call() {
      Optional<TokenInfo> revoked = withTokens(tokens -> tokens.revoke(name));
      if (revoked.isEmpty()) {
        throw new UserError(
            "No active token is called '"
                + name
                + "' (or has that id): './finetune tokens list' shows every token, revoked ones"
                + " too");
      }
      out()
          .println(
              "Revoked token '"
                  + revoked.get().name()
                  + "' ("
                  + revoked.get().id()
                  + "): the gateway refuses it from its next request.");
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists every token, revoked ones too: names and dates, never a token.")
  static class ListTokens extends Common implements Callable<Integer> {
    @Override
    public Integer call() {
      List<TokenInfo> all = withTokens(ApiTokens::list);
      PrintWriter out = out();
      if (all.isEmpty()) {
        out.println("No tokens yet: './finetune tokens create NAME' creates one.");
        return 0;
      }
      int width = Math.max(4, all.stream().mapToInt(t -> t.name().length()).max().orElse(4));
      String format = "%-" + width + "s  %-20s  %-23s  %s%n";
      out.printf(format, "NAME", "ID", "CREATED", "REVOKED");
      for (TokenInfo t : all) {
        out.printf(
            format,
            t.name(),
            t.id(),
            when(t.createdAtMillis()),
            t.revokedAtMillis() == null ? "-" : when(t.revokedAtMillis()));
      }
      return 0;
    }
  }

  private static String when(long millis) {
    return WHEN.format(Instant.ofEpochMilli(millis).truncatedTo(ChronoUnit.SECONDS));
  }
}
