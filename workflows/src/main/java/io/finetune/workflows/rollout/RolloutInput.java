package io.finetune.workflows.rollout;

import io.finetune.workflows.spec.PipelineSpec;
import java.util.List;

/**
 * What to roll out: version {@code candidate} of the model {@code name} against the version that
 * serves today ({@code stable}), by the spec's policy; {@code judge} (null: none) compares the
 * canary's answers with the stable version's at {@code judgeProvider}. {@code approvers} may decide
 * at the rollback checkpoint (empty: anyone); {@code approvedBy} approved the promotion.
 */
public record RolloutInput(
    String name,
    int candidate,
    int stable,
    PipelineSpec.RolloutPolicy policy,
    PipelineSpec.Judge judge,
    String judgeProvider,
    List<String> approvers,
    String approvedBy) {
  public RolloutInput {
    approvers = approvers == null ? List.of() : List.copyOf(approvers);
  }
}
