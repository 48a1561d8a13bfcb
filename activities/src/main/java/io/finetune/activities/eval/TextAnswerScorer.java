package io.finetune.activities.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune.activities.dataset.Rows.Row;
import io.finetune.workflows.common.Scores;
import java.util.List;
import java.util.Map;

/**
 * Scores the answers of a text task (task {@code text}) with {@link TextScorer}, line by line as
 * {@link AnswerScorer} does for JSON answers. Each line carries its own {@code exact} and {@code
 * chrf}, so that {@link ScoreIntervals} can bootstrap over rows; the headline chrF stays
 * corpus-level.
 */
final class TextAnswerScorer {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Counts only: the texts are not kept. */
  private final TextScorer.Corpus corpus = new TextScorer.Corpus();

  /** Scores one answer and returns the prediction line to store. */
  ObjectNode add(Row row, String answer) {
    ObjectNode line = JSON.createObjectNode();
    line.put("input", row.input());
    line.set("expected", row.output());
    line.put("answer", answer);
    line.put("scored", row.labeled());
    if (!row.labeled()) {
      return line;
    }
    String want = row.answerText();
    corpus.add(want, answer);
    Map<String, Double> one =
        TextScorer.score(List.of(want), List.of(answer == null ? "" : answer));
    line.put("exact", one.get(Scores.TEXT_EXACT_MATCH) == 1.0);
    line.put("chrf", one.get(Scores.CHRF));
    return line;
  }

  int scored() {
    return corpus.rows();
  }

  /** {@link Scores#TEXT_EXACT_MATCH} and corpus-level {@link Scores#CHRF} over labeled rows. */
  Map<String, Double> metrics() {
    return corpus.metrics();
  }
}
