package io.finetune.activities.spec;

/** A spec that cannot be used, with a message that names the file, the field and what is wrong. */
public class SpecException extends RuntimeException {
  public SpecException(String message) {
    super(message);
  }
}
