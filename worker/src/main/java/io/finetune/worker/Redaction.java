package io.finetune.worker;

import io.finetune.gateway.Redactor;
import java.util.List;

/**
 * The redactor of {@code finetune.gateway.redaction}: one set of rules for the gateway's traces and
 * for the second pass before traces become data (drift batches, exports, ingested files).
 */
public final class Redaction {
  private Redaction() {}

  /**
   * The built-in patterns plus the configured rules.
   *
   * @throws IllegalArgumentException naming the setting, for a rule that cannot be used
   */
  public static Redactor of(FinetuneProperties props) {
    try {
      List<Redactor.Rule> rules =
          props.getGateway().getRedaction().entrySet().stream()
              .map(e -> Redactor.Rule.of(e.getKey(), e.getValue()))
              .toList();
      return new Redactor(rules);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("finetune.gateway.redaction: " + e.getMessage(), e);
    }
  }
}
