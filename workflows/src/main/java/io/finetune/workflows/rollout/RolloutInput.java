package io.finetune.workflows.rollout;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.finetune.workflows.spec.PipelineSpec;
import java.util.List;

/**
 * What to roll out: version {@code candidate} of the model {@code name} against the version that
 * serves today ({@code stable}), by the spec's policy; {@code judge} (null: none) compares the
 * canary's answers with the stable version's at {@code judgeProvider}. {@code approvers} may decide
 * at the rollback checkpoint (empty: anyone); {@code approvedBy} approved the promotion; with
 * {@code requireToken} (the spec's {@code approval.requireToken}) a decision there must carry an
 * approver token's proof (false in histories from before approver tokens); {@code
 * approvedIdentity}: how {@code approvedBy} is known, for the audit (null before approver tokens).
 */
public record RolloutInput(
    String name,
    int candidate,
    int stable,
    PipelineSpec.RolloutPolicy policy,
    PipelineSpec.Judge judge,
    String judgeProvider,
    List<String> approvers,
    String approvedBy,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean requireToken,
    @JsonInclude(JsonInclude.Include.NON_NULL) String approvedIdentity) {
  public RolloutInput {
    approvers = approvers == null ? List.of() : List.copyOf(approvers);
  }

  /** A rollout whose decisions are taken on their {@code by}'s word. */
  public RolloutInput(
      String name,
      int candidate,
      int stable,
      PipelineSpec.RolloutPolicy policy,
      PipelineSpec.Judge judge,
      String judgeProvider,
      List<String> approvers,
      String approvedBy) {
    this(name, candidate, stable, policy, judge, judgeProvider, approvers, approvedBy, false, null);
  }
}
