package io.finetune.provider.local;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** Fine-tuned models as files (one per model id), loaded once and then served from memory. */
final class ModelStore {
  private final Path dir;
  private final Map<String, FineTunedModel> loaded = new ConcurrentHashMap<>();

  ModelStore(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
  }

  List<String> ids() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith(".bin"))
          .sorted()
          .map(n -> n.substring(0, n.length() - ".bin".length()).replace('~', ':'))
          .toList();
    }
  }

  /** Saves atomically; saving the same id again (a job trained again) replaces it. */
  void save(FineTunedModel model) throws IOException {
    Path tmp = file(model.id).resolveSibling(file(model.id).getFileName() + ".tmp");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
      model.write(out);
    }
    Files.move(tmp, file(model.id), StandardCopyOption.REPLACE_EXISTING);
    loaded.remove(model.id);
  }

  FineTunedModel load(String id) {
    return loaded.computeIfAbsent(
        id,
        m -> {
          Path f = file(m);
          if (!Files.exists(f)) {
            throw ApiError.notFound(
                "model_not_found", "The model '" + m + "' does not exist", "model");
          }
          try (InputStream in = new BufferedInputStream(Files.newInputStream(f))) {
            return FineTunedModel.read(in);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  private Path file(String id) {
    return dir.resolve(id.replace(':', '~') + ".bin");
  }
}
