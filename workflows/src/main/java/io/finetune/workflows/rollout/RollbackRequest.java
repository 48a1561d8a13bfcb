package io.finetune.workflows.rollout;

/** Who ends a canary early, and why (recorded in the audit). */
public record RollbackRequest(String by, String reason) {}
