package io.finetune.activities.eval;

import io.finetune.activities.store.ArtifactStore;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The lines a long activity has finished so far, in a file of its own execution: the same for each
 * of its retries, apart from any other run doing the same work. The heartbeat says how many lines
 * are complete, so that a retry resumes there instead of paying a provider again.
 */
final class WorkFile {
  final Path path;

  private WorkFile(Path path) {
    this.path = path;
  }

  /** The work file of this activity execution, named {@code <kind>-<key>.jsonl}. */
  static WorkFile of(ArtifactStore store, String kind, ActivityInfo info) {
    String key =
        ArtifactStore.sha256Hex(
            String.join("\n", info.getWorkflowId(), info.getRunId(), info.getActivityId())
                .getBytes(StandardCharsets.UTF_8));
    return new WorkFile(store.workFile(kind + "-" + key + ".jsonl"));
  }

  /**
   * The lines the last attempt's heartbeat ({@code vouched}, 0 for a first attempt) vouched for; a
   * half-written tail beyond them is cut off, to be redone.
   */
  List<String> resume(int vouched) {
    try {
      if (vouched <= 0 || !Files.exists(path)) {
        Files.deleteIfExists(path);
        return List.of();
      }
      List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
      List<String> kept = lines.subList(0, Math.min(vouched, lines.size()));
      Files.write(path, kept, StandardCharsets.UTF_8);
      return kept;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * As {@link #resume}, without reading the lines into memory: keeps the first {@code vouched}
   * complete lines (fewer when the file has fewer), cuts off what follows, and returns how many it
   * kept. For work files of any length.
   */
  int resumeCount(int vouched) {
    try {
      if (vouched <= 0 || !Files.exists(path)) {
        Files.deleteIfExists(path);
        return 0;
      }
      int kept = 0;
      long end = 0;
      try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(path))) {
        long at = 0;
        for (int b = in.read(); b >= 0 && kept < vouched; b = in.read()) {
          at++;
          if (b == '\n') {
            kept++;
            end = at;
          }
        }
      }
      try (java.nio.channels.FileChannel f =
          java.nio.channels.FileChannel.open(path, StandardOpenOption.WRITE)) {
        f.truncate(end);
      }
      return kept;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Adds finished lines; the caller heartbeats their new count afterwards. */
  void append(List<String> lines) {
    try {
      Files.write(
          path,
          lines,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Removes the file once its lines are in the activity's result artifact; a file that cannot be
   * removed is left (harmless: no other activity execution uses it).
   */
  void delete() {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // left behind
    }
  }

  /** The count of lines the last attempt vouched for, 0 for a first attempt. */
  static int lastHeartbeat(ActivityExecutionContext ctx) {
    return ctx.getHeartbeatDetails(Integer.class).orElse(0);
  }
}
