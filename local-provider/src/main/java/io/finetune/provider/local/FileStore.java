package io.finetune.provider.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** Uploaded files ({@code /v1/files}): content and metadata side by side in one folder. */
final class FileStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path dir;
  private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis());

  FileStore(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
    // One provider per folder: a .tmp file here is a metadata write its killed predecessor left.
    try (Stream<Path> s = Files.list(this.dir)) {
      for (Path f : s.filter(f -> f.toString().endsWith(".tmp")).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  ObjectNode save(String filename, String purpose, byte[] content) throws IOException {
    String id = "file-" + Long.toHexString(sequence.incrementAndGet());
    Files.write(content(id), content);
    ObjectNode meta = JSON.createObjectNode();
    meta.put("id", id);
    meta.put("object", "file");
    meta.put("bytes", content.length);
    meta.put("created_at", System.currentTimeMillis() / 1000);
    meta.put("filename", filename == null ? "upload.jsonl" : filename);
    meta.put("purpose", purpose);
    meta.put("status", "processed");
    // The metadata makes the file visible (list, meta): it appears whole or not at all, so that a
    // provider killed mid-write does not leave a half file that breaks every later listing.
    Path tmp = dir.resolve(id + ".json.tmp");
    JSON.writeValue(tmp.toFile(), meta);
    Files.move(tmp, dir.resolve(id + ".json"), StandardCopyOption.ATOMIC_MOVE);
    return meta;
  }

  ObjectNode list() throws IOException {
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        data.add(JSON.readTree(f.toFile()));
      }
    }
    return out;
  }

  JsonNode meta(String id) throws IOException {
    Path f = dir.resolve(id + ".json");
    if (!id.matches("file-[0-9a-f]+") || !Files.exists(f)) {
      throw ApiError.notFound("file_not_found", "No such file: " + id, "file_id");
    }
    return JSON.readTree(f.toFile());
  }

  Path content(String id) {
    return dir.resolve(id + ".jsonl");
  }
}
