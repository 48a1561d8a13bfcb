package io.finetune.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * Links into the Temporal Web UI, when there is one: {@code $TEMPORAL_UI_URL}, or the UI of the
 * {@code ./finetune dev} server that the CLI is talking to.
 */
final class WebUi {
  private WebUi() {}

  /** The Web UI's base address for a server at {@code target}, if known. */
  static Optional<String> base(String target) {
    String env = System.getenv("TEMPORAL_UI_URL");
    if (env != null && !env.isBlank()) {
      return Optional.of(env.replaceAll("/+$", ""));
    }
    Path state = Home.defaultHome().resolve(DevEnvironment.STATE_FILE);
    if (!Files.isRegularFile(state)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(state)) {
      p.load(in);
    } catch (IOException e) {
      return Optional.empty();
    }
    boolean same =
        normalize(target).equals(normalize(p.getProperty("target", "")))
            && p.getProperty("webUi") != null;
    return same ? Optional.of(p.getProperty("webUi")) : Optional.empty();
  }

  /** The page of workflow {@code id} (its latest run, or {@code runId}). */
  static Optional<String> run(String target, String namespace, String id, String runId) {
    return base(target)
        .map(
            ui ->
                ui
                    + "/namespaces/"
                    + encode(namespace)
                    + "/workflows/"
                    + encode(id)
                    + (runId == null || runId.isBlank() ? "" : "/" + encode(runId) + "/history"));
  }

  private static String normalize(String target) {
    return target.replace("localhost:", "127.0.0.1:");
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
