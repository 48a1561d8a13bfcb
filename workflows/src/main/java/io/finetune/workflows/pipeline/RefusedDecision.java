package io.finetune.workflows.pipeline;

/**
 * A decision refused because its sender's identity could not be verified (the spec's {@code
 * approval.requireToken}): who it claimed to be from ({@code claimed.by()}), through which channel,
 * when (workflow time) and why. Kept so that {@code status} shows every attempt.
 */
public record RefusedDecision(Decision claimed, Channel via, String reason, long atMillis) {}
