package io.finetune.activities.fields;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JSON Schema a spec's {@code answerSchema} names, which every answer must meet: read from a
 * JSON file, draft 2020-12 unless its {@code $schema} says otherwise.
 */
public final class AnswerSchema {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final JsonSchema schema;

  private AnswerSchema(JsonSchema schema) {
    this.schema = schema;
  }

  /** The schema in {@code file}; IllegalArgumentException saying what is wrong with it. */
  public static AnswerSchema load(String file) {
    Path path = Path.of(file);
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException("file not found: " + file);
    }
    JsonNode node;
    try {
      node = JSON.readTree(path.toFile());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          file + ": not valid JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot be read (" + e.getMessage() + ")");
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(file + ": a JSON Schema must be a JSON object");
    }
    try {
      SpecVersion.VersionFlag version =
          SpecVersionDetector.detectOptionalVersion(node, false)
              .orElse(SpecVersion.VersionFlag.V202012);
      JsonSchema schema = JsonSchemaFactory.getInstance(version).getSchema(node);
      // Keywords are compiled lazily: one validation shows a malformed schema now, not per row.
      schema.validate(JsonNodeFactory.instance.objectNode());
      return new AnswerSchema(schema);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          file + ": not a usable JSON Schema (" + e.getMessage() + ")");
    }
  }

  /** What is wrong with {@code answer}, sorted; empty when it meets the schema. */
  public List<String> problems(JsonNode answer) {
    return schema.validate(answer).stream().map(ValidationMessage::getMessage).sorted().toList();
  }
}
