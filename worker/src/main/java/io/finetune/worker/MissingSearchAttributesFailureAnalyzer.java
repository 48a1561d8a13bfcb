package io.finetune.worker;

import io.finetune.worker.SearchAttributesCheck.MissingSearchAttributes;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Tells a worker's user what to run when the namespace lacks our search attributes, as Spring
 * Boot's start-up report ("APPLICATION FAILED TO START") instead of a stack trace.
 */
class MissingSearchAttributesFailureAnalyzer
    extends AbstractFailureAnalyzer<MissingSearchAttributes> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, MissingSearchAttributes cause) {
    return new FailureAnalysis(
        cause.getMessage(),
        "Run `./finetune setup` with the same TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, then start"
            + " the worker again.",
        cause);
  }
}
