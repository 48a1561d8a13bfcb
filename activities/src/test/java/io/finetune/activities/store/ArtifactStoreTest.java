package io.finetune.activities.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.finetune.workflows.common.ArtifactRef;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {
  @TempDir Path dir;

  @Test
  void aFileIsNamedByItsHashAndNoTemporaryFileStays() throws Exception {
    ArtifactStore store = new ArtifactStore(dir);
    ArtifactRef ref =
        store.write("reports", "txt", out -> out.write("hello".getBytes(StandardCharsets.UTF_8)));
    assertEquals(ArtifactStore.sha256Hex("hello".getBytes(StandardCharsets.UTF_8)), ref.sha256());
    assertTrue(ref.path().endsWith(ref.sha256() + ".txt"));
    try (Stream<Path> tmp = Files.list(dir.resolve("tmp"))) {
      assertEquals(0, tmp.count());
    }
  }

  @Test
  void halfWrittenFilesOfKilledProcessesAreSweptOthersKept() throws Exception {
    // A process that is gone for sure: one we started and waited for.
    Process p = new ProcessBuilder("true").start();
    p.waitFor(10, TimeUnit.SECONDS);
    Files.createDirectories(dir.resolve("tmp"));
    Path dead = Files.writeString(dir.resolve("tmp").resolve(p.pid() + "-abc.part"), "half");
    Path live =
        Files.writeString(
            dir.resolve("tmp").resolve(ProcessHandle.current().pid() + "-def.part"), "writing");
    Path foreign = Files.writeString(dir.resolve("tmp").resolve("notes.txt"), "not ours");

    new ArtifactStore(dir);

    assertFalse(Files.exists(dead), "a killed writer's half-written file is swept");
    assertTrue(Files.exists(live), "a live writer's file is kept");
    assertTrue(Files.exists(foreign));
  }
}
