package io.finetune.cli;

/** A failure the user can fix; printed as a message without a stack trace. */
class UserError extends RuntimeException {
  UserError(String message) {
    super(message);
  }

  UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
