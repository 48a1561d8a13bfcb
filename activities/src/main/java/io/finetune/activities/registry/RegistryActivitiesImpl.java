package io.finetune.activities.registry;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.Failures;
import io.finetune.workflows.registry.RegistryActivities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/** Model versions as one JSON file per model name; the last version is the current one. */
public class RegistryActivitiesImpl implements RegistryActivities {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path dir;

  public RegistryActivitiesImpl(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized ModelVersion promote(PromoteRequest r) {
    List<ModelVersion> versions = versions(r.name());
    for (ModelVersion v : versions) {
      if (v.runId().equals(r.runId())) {
        return v; // a retried promotion of the same run
      }
    }
    ModelVersion v =
        new ModelVersion(
            r.name(),
            versions.size() + 1,
            r.modelId(),
            r.provider(),
            r.size(),
            r.metrics(),
            r.spec(),
            r.dataset(),
            r.runId(),
            r.approvedBy(),
            System.currentTimeMillis());
    versions.add(v);
    try {
      Path tmp = dir.resolve(r.name() + ".json.tmp");
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), versions);
      Files.move(tmp, file(r.name()), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return v;
  }

  @Override
  public synchronized ModelVersion current(String name) {
    List<ModelVersion> versions = versions(name);
    if (versions.isEmpty()) {
      throw Failures.invalidInput(
          "No model called '" + name + "' has been promoted yet (registry " + dir + ")");
    }
    return versions.get(versions.size() - 1);
  }

  private List<ModelVersion> versions(String name) {
    if (!name.matches("[a-z0-9][a-z0-9-]{0,39}")) {
      throw Failures.invalidInput("Invalid model name '" + name + "'");
    }
    Path f = file(name);
    if (!Files.exists(f)) {
      return new ArrayList<>();
    }
    try {
      return new ArrayList<>(
          JSON.readValue(f.toFile(), new TypeReference<List<ModelVersion>>() {}));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path file(String name) {
    return dir.resolve(name + ".json");
  }
}
