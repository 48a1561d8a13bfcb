package io.finetune.bench.scale;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;

/**
 * The floor the pipeline's overhead is held against: a bare SDK workflow that runs {@code n}
 * activities one after another, each the same stub stage as the pipeline's ({@link
 * StubStages#stage()}: the sleep its workflow id names), and nothing else.
 */
public final class Bare {
  private Bare() {}

  @WorkflowInterface
  public interface Chain {
    @WorkflowMethod
    int run(int activities);
  }

  @ActivityInterface
  public interface Step {
    int step(int i);
  }

  public static final class ChainImpl implements Chain {
    private final Step step =
        Workflow.newActivityStub(
            Step.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(5)).build());

    @Override
    public int run(int activities) {
      int sum = 0;
      for (int i = 0; i < activities; i++) {
        sum += step.step(i);
      }
      return sum;
    }
  }

  public static final class StepImpl implements Step {
    @Override
    public int step(int i) {
      StubStages.stage();
      return i;
    }
  }
}
