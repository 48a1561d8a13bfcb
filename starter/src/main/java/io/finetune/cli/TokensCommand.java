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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The gateway's API tokens and the approvers' tokens, in the worker's database. */
@Command(
    name = "tokens",
    mixinStandardHelpOptions = true,
    description =
        "Creates, revokes and lists the gateway's API tokens and the approvers' tokens (in the"
            + " worker's database; only a token's SHA-256 is stored).",
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
      description = {
        "Creates a gateway API token called NAME and prints it, once: it is not stored.",
        "With --approver: an approver token, whose holder approves and rejects as that name on"
            + " runs whose spec sets approval.requireToken (it cannot call the gateway, and a"
            + " gateway token cannot approve)."
      })
  static class Create extends Common implements Callable<Integer> {
    @Parameters(
        paramLabel = "NAME",
        arity = "0..1",
        description =
            "What the token is for, e.g. my-app (with --approver: optional, default"
                + " approver-<approver>)")
    String name;

    @Option(
        names = "--approver",
        paramLabel = "APPROVER",
        description =
            "Make an approver token for APPROVER: the name its decisions give with --by, e.g."
                + " alice")
    String approver;

    @Override
    public Integer call() {
      if (approver == null && name == null) {
        throw new UserError(
            "Name the token: './finetune tokens create NAME' (a gateway API token) or"
                + " './finetune tokens create --approver NAME' (an approver's)");
      }
      ApiTokens.Created created;
      try {
        created =
            withTokens(
                tokens ->
                    approver == null ? tokens.create(name) : tokens.createApprover(approver, name));
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage());
      }
      PrintWriter out = out();
      out.println(
          "Created "
              + (approver == null ? "token '" : "approver token '")
              + created.info().name()
              + "' ("
              + created.info().id()
              + (approver == null ? "" : ", decides as " + approver)
              + "):");
      out.println();
      out.println("  " + created.token());
      out.println();
      out.println(
          "Copy it now: it is shown this once and is not stored (only its SHA-256 is), so it"
              + " cannot be shown again. Lost: revoke it and create another.");
      if (approver == null) {
        out.println(
            "Give it to a client as FINETUNE_TOKEN (the header 'Authorization: Bearer ...').");
      } else {
        out.println(
            "Give it to "
                + approver
                + " as FINETUNE_APPROVER_TOKEN (or in a file for --token-file): `./finetune"
                + " approve|reject ... --by "
                + approver
                + "` then proves who decides, on runs whose spec sets approval.requireToken. The"
                + " token itself never leaves the CLI: only its id and a proof of each decision"
                + " do.");
      }
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
                  + (ApiTokens.APPROVER.equals(revoked.get().kind())
                      ? "): decisions that carry it are refused from now on."
                      : "): the gateway refuses it from its next request."));
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
      int approverWidth =
          Math.max(
              8,
              all.stream()
                  .mapToInt(t -> t.approver() == null ? 1 : t.approver().length())
                  .max()
                  .orElse(8));
      String format = "%-" + width + "s  %-20s  %-8s  %-" + approverWidth + "s  %-23s  %s%n";
      out.printf(format, "NAME", "ID", "KIND", "APPROVER", "CREATED", "REVOKED");
      for (TokenInfo t : all) {
        out.printf(
            format,
            t.name(),
            t.id(),
            t.kind(),
            t.approver() == null ? "-" : t.approver(),
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
