package io.finetune.worker;

import io.finetune.workflows.common.ActivityStubs;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.metadata.POJOWorkflowMethodMetadata;
import io.temporal.spring.boot.WorkflowImplementationOptionsCustomizer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkflowImplementationOptions;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Hands {@code finetune.activities.*} to every workflow implementation the Temporal Spring Boot
 * starter registers, as per-activity-type options ({@link
 * WorkflowImplementationOptions.Builder#setActivityOptions}) that the SDK merges over the
 * workflows' coded ones when it schedules an activity.
 */
@Component
public class ActivityTimeouts implements WorkflowImplementationOptionsCustomizer {
  private static final Logger log = LoggerFactory.getLogger(ActivityTimeouts.class);

  private final Map<String, ActivityOptions> overrides;

  public ActivityTimeouts(FinetuneProperties props) {
    FinetuneProperties.Activities a = props.getActivities();
    this.overrides =
        ActivityStubs.timeoutOverrides(a.getHeartbeatTimeout(), a.getStartToCloseTimeout());
    if (!overrides.isEmpty()) {
      log.info(
          "Activity timeouts from finetune.activities: heartbeat {}, start-to-close {} (unset: as"
              + " coded)",
          a.getHeartbeatTimeout(),
          a.getStartToCloseTimeout());
    }
  }

  @Override
  public WorkflowImplementationOptions.Builder customize(
      WorkflowImplementationOptions.Builder builder,
      Worker worker,
      Class<?> workflowImplementationClass,
      POJOWorkflowMethodMetadata workflowMethod) {
    return customize(builder);
  }

  @Override
  public WorkflowImplementationOptions.Builder customize(
      WorkflowImplementationOptions.Builder builder) {
    return overrides.isEmpty() ? builder : builder.setActivityOptions(overrides);
  }
}
