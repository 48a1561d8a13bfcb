package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune.activities.dataset.Rows;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.activities.provider.ProviderClient.ChatAnswer;
import io.finetune.activities.store.ArtifactStore;
import io.finetune.workflows.common.DatasetRef;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A dataset's rows and an eval's answers, streamed line by line from their files (as {@code
 * Rows.read} reads rows, without holding them all).
 */
final class EvalRows {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EvalRows() {}

  /** Rows {@code [from, to)} of the data, in order (fewer when the file ends first). */
  static JsonLines<Row> read(ArtifactStore store, DatasetRef data, long from, long to) {
    return JsonLines.of(store.existing(data.path()), from, to, EvalRows::row);
  }

  /** Every row of the data, each time it is iterated: for passes that read to the end. */
  static Iterable<Row> all(ArtifactStore store, DatasetRef data) {
    return () -> read(store, data, 0, Long.MAX_VALUE);
  }

  /** As {@code Rows.read} reads a line of a normalized dataset file. */
  static Row row(String line) {
    return Rows.row(tree(line));
  }

  /** An answer line; workers before usage was measured wrote bare strings. */
  static ChatAnswer answer(String line) {
    JsonNode node = tree(line);
    if (node.isTextual()) {
      return new ChatAnswer(node.asText(), 0, 0, Double.NaN);
    }
    try {
      return JSON.treeToValue(node, ChatAnswer.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode tree(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
