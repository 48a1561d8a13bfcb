package io.finetune.workflows.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** The human checkpoints of the pipeline, in the order they open, and the stage each waits in. */
public enum Checkpoint {
  /** Rule 3: a person reviews the data report before anything is trained. */
  DATA_REVIEW("data-review", Stage.DATA_REVIEW),
  /** Rule 7: a person compares the candidates with the baseline before one is promoted. */
  PROMOTION("promotion", Stage.PROMOTION_REVIEW),
  /**
   * Rule 9: the slow eval found a canary worse and the spec asks a person: approve rolls back,
   * reject rolls out anyway (opened by the {@code Rollout} workflow, not the pipeline).
   */
  ROLLBACK("rollback", Stage.ROLLBACK_REVIEW);

  private final String id;
  private final Stage stage;

  Checkpoint(String id, Stage stage) {
    this.id = id;
    this.stage = stage;
  }

  /** As typed on the command line and in signals: {@code data-review}, {@code promotion}. */
  @JsonValue
  public String id() {
    return id;
  }

  /** The stage the run is in while this checkpoint waits. */
  public Stage stage() {
    return stage;
  }

  /** The checkpoint called {@code id}, if any. */
  public static Optional<Checkpoint> find(String id) {
    return Arrays.stream(values()).filter(c -> c.id.equals(id)).findFirst();
  }

  @JsonCreator
  static Checkpoint of(String id) {
    return find(id)
        .orElseThrow(() -> new IllegalArgumentException("unknown checkpoint '" + id + "'"));
  }

  @Override
  public String toString() {
    return id;
  }
}
