package io.finetune.workflows.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Why an eval set is scored apart from the test set. Code finds a set by its role, never by its
 * name: a spec may call its sets anything.
 */
public enum EvalSetRole {
  /** A set the spec names: corner cases, a golden set, ... */
  SPEC,
  /** Fresh production rows a drift check held out of retraining, to score the retrained model. */
  FRESH_HOLDOUT;

  /** The name the pipeline gives a fresh hold-out; specs may not use it. */
  public static final String FRESH_HOLDOUT_NAME = "fresh-holdout";

  /** The name of the held-out test set in scores and reports; specs may not use it. */
  public static final String TEST_NAME = "test";

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @JsonCreator
  public static EvalSetRole of(String id) {
    for (EvalSetRole r : values()) {
      if (r.id().equalsIgnoreCase(id)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown eval-set role '" + id + "'");
  }
}
