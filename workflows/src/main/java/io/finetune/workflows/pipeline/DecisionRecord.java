package io.finetune.workflows.pipeline;

/**
 * A decision as the run recorded it: who, when (workflow time), what, why, through which channel,
 * and whether it overrode a failed gate (rule 10).
 */
public record DecisionRecord(
    String checkpoint,
    String action,
    String by,
    String comment,
    long atMillis,
    String via,
    boolean override) {}
