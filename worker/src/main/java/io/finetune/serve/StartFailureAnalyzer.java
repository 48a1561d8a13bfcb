package io.finetune.serve;

import io.finetune.serve.GatewayApplication.StartFailure;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Reports a gateway start-up failure the user can fix without a stack trace. */
class StartFailureAnalyzer extends AbstractFailureAnalyzer<StartFailure> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, StartFailure cause) {
    return new FailureAnalysis(
        cause.getMessage(), "Change the settings above and run ./finetune serve again.", cause);
  }
}
