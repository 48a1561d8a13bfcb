package io.finetune.activities.store;

import io.finetune.workflows.common.ArtifactRef;
import io.finetune.workflows.common.Failures;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Files addressed by the sha256 of their content under one root folder. Writing the same content
 * twice yields the same reference, which keeps retried activities idempotent; a file appears only
 * once it is complete, so a crash never leaves partial output behind.
 */
public final class ArtifactStore {
  private final Path root;

  public ArtifactStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
    try {
      Files.createDirectories(this.root.resolve("tmp"));
      sweepTemporaryFilesOfDeadProcesses();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create artifact store at " + this.root, e);
    }
  }

  /** Where a write in progress goes: named after this process, so that a later one can clean. */
  private Path temporaryFile() {
    return root.resolve("tmp")
        .resolve(ProcessHandle.current().pid() + "-" + UUID.randomUUID() + ".part");
  }

  /**
   * Deletes the half-written files that processes killed mid-write (kill -9, a lost machine) left
   * in {@code tmp/}: those named after a process that no longer runs here. Files of live processes
   * (other workers sharing this store) are left alone.
   */
  private void sweepTemporaryFilesOfDeadProcesses() throws IOException {
    try (Stream<Path> files = Files.list(root.resolve("tmp"))) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        int dash = name.indexOf('-');
        if (!name.endsWith(".part") || dash <= 0) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(name.substring(0, dash));
        } catch (NumberFormatException notOurs) {
          continue;
        }
        if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  public Path root() {
    return root;
  }

  /** Something that writes a file's content. */
  public interface ContentWriter {
    void write(OutputStream out) throws IOException;
  }

  /** Writes content into {@code <root>/<kind>/<sha256>.<extension>} and returns its reference. */
  public ArtifactRef write(String kind, String extension, ContentWriter writer) {
    Path tmp = temporaryFile();
    try {
      MessageDigest digest = sha256();
      try (OutputStream out =
          new DigestOutputStream(
              new java.io.BufferedOutputStream(Files.newOutputStream(tmp)), digest)) {
        writer.write(out);
      }
      return store(tmp, digest, kind, extension);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + kind + " artifact", e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: a leftover .part file is never read
      }
    }
  }

  /**
   * A file written line by line, several at once if need be (a split writes train, test and more in
   * one pass over its data): {@link #commit} stores it under its sha256, a {@link #close} without
   * it leaves nothing behind.
   */
  public final class LineSink implements AutoCloseable {
    private final String kind;
    private final String extension;
    private final Path tmp = temporaryFile();
    private final MessageDigest digest = sha256();
    private final java.io.Writer out;
    private long lines;
    private ArtifactRef stored;

    private LineSink(String kind, String extension) {
      this.kind = kind;
      this.extension = extension;
      try {
        out =
            new java.io.BufferedWriter(
                new java.io.OutputStreamWriter(
                    new DigestOutputStream(Files.newOutputStream(tmp), digest),
                    java.nio.charset.StandardCharsets.UTF_8),
                1 << 16);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + kind + " artifact", e);
      }
    }

    public void line(String text) {
      try {
        out.write(text);
        out.write('\n');
        lines++;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + kind + " artifact", e);
      }
    }

    public long lines() {
      return lines;
    }

    /** Stores the file; its reference. */
    public ArtifactRef commit() {
      try {
        out.close();
        stored = store(tmp, digest, kind, extension);
        return stored;
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot write " + kind + " artifact", e);
      }
    }

    /** Leaves nothing behind unless committed. */
    @Override
    public void close() {
      if (stored != null) {
        return;
      }
      try {
        out.close();
      } catch (IOException ignored) {
        // the file goes anyway
      }
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: a leftover .part file is never read
      }
    }
  }

  /** A new file to write line by line ({@code <root>/<kind>/<sha256>.<extension>} once stored). */
  public LineSink lines(String kind, String extension) {
    return new LineSink(kind, extension);
  }

  /** Moves a complete temporary file to its content's address (unless it is there already). */
  private ArtifactRef store(Path tmp, MessageDigest digest, String kind, String extension)
      throws IOException {
    String hash = HexFormat.of().formatHex(digest.digest());
    Path target = Files.createDirectories(root.resolve(kind)).resolve(hash + "." + extension);
    long size = Files.size(tmp);
    if (Files.exists(target)) {
      Files.delete(tmp);
    } else {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }
    return new ArtifactRef(target.toString(), hash, size);
  }

  /** Writes one line per item (JSONL and the like), each followed by a newline. */
  public ArtifactRef writeLines(String kind, String extension, Iterable<String> lines) {
    return write(
        kind,
        extension,
        out -> {
          java.io.Writer w =
              new java.io.OutputStreamWriter(out, java.nio.charset.StandardCharsets.UTF_8);
          for (String line : lines) {
            w.write(line);
            w.write('\n');
          }
          w.flush();
        });
  }

  /** The file behind a reference, failing clearly (and non-retryably) when it is gone. */
  public Path existing(String path) {
    Path p = Path.of(path);
    if (!Files.isRegularFile(p)) {
      throw Failures.invalidInput(
          "Artifact " + path + " is missing: was the artifact store (" + root + ") cleaned?");
    }
    return p;
  }

  /** A scratch file for work in progress that a retried activity may pick up again. */
  public Path workFile(String name) {
    try {
      return Files.createDirectories(root.resolve("work")).resolve(name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
