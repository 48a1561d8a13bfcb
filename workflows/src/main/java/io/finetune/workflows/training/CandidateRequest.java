package io.finetune.workflows.training;

import io.finetune.workflows.common.DatasetRef;
import io.finetune.workflows.spec.Size;
import java.util.List;

/** What one candidate trains on and is evaluated on. */
public record CandidateRequest(
    String name,
    Size size,
    String baseModel,
    String provider,
    String prompt,
    List<String> outputFields,
    DatasetRef train,
    DatasetRef test,
    List<DatasetRef> evalSets,
    long seed,
    Integer epochs) {}
