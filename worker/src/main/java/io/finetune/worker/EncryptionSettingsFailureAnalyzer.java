package io.finetune.worker;

import io.finetune.worker.PayloadEncryptionConfiguration.EncryptionSettingsException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Bad encryption keys or codec token, as Spring Boot's start-up report, not a stack trace. */
class EncryptionSettingsFailureAnalyzer
    extends AbstractFailureAnalyzer<EncryptionSettingsException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, EncryptionSettingsException cause) {
    return new FailureAnalysis(
        cause.getMessage(),
        "Fix FINETUNE_ENCRYPTION_KEYS / FINETUNE_CODEC_TOKEN in the worker's environment (README"
            + " \"Security\"), then start the worker again.",
        cause);
  }
}
