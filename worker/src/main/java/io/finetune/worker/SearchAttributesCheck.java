package io.finetune.worker;

import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesResponse;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Refuses to start a worker against a namespace that lacks our search attributes: on a real server
 * a workflow that sets an unknown one has every workflow task fail, so runs would hang instead of
 * failing here with what to do.
 */
@Component
public class SearchAttributesCheck implements InitializingBean {
  private static final Logger log = LoggerFactory.getLogger(SearchAttributesCheck.class);

  private final WorkflowServiceStubs service;
  private final String namespace;

  public SearchAttributesCheck(
      WorkflowServiceStubs service,
      @Value("${spring.temporal.namespace:default}") String namespace) {
    this.service = service;
    this.namespace = namespace;
  }

  @Override
  public void afterPropertiesSet() {
    Map<String, IndexedValueType> known;
    try {
      known = registered();
    } catch (StatusRuntimeException e) {
      // The embedded test server cannot list them (it registers them at start); a namespace we
      // may not inspect (e.g. an API key without that permission) is the operator's to check.
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED
          || e.getStatus().getCode() == Status.Code.PERMISSION_DENIED
          || e.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
        log.info("Cannot list search attributes here ({}); not checked", e.getStatus().getCode());
        return;
      }
      throw e;
    }
    Map<String, IndexedValueType> missing = missing(known);
    if (!missing.isEmpty()) {
      throw new MissingSearchAttributes(
          "Namespace '"
              + namespace
              + "' lacks the search attributes our workflows set: "
              + missing.keySet()
              + ". Run `./finetune setup` (with the same TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE) to"
              + " register them, then start the worker again.");
    }
  }

  /** Why the worker does not start: the message says what to run. */
  public static final class MissingSearchAttributes extends IllegalStateException {
    MissingSearchAttributes(String message) {
      super(message);
    }
  }

  /** Ours that {@code known} lacks, or has with another type. */
  static Map<String, IndexedValueType> missing(Map<String, IndexedValueType> known) {
    Map<String, IndexedValueType> missing = new TreeMap<>();
    FinetuneSearchAttributes.definitions()
        .forEach(
            (name, type) -> {
              if (known.get(name) != type) {
                missing.put(name, type);
              }
            });
    return missing;
  }

  private Map<String, IndexedValueType> registered() {
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder(service.getOptions())
                .validateAndBuildWithDefaults());
    try {
      ListSearchAttributesResponse r =
          operator
              .blockingStub()
              .listSearchAttributes(
                  ListSearchAttributesRequest.newBuilder().setNamespace(namespace).build());
      Map<String, IndexedValueType> all = new TreeMap<>(r.getCustomAttributesMap());
      all.putAll(r.getSystemAttributesMap());
      return all;
    } finally {
      operator.shutdown();
    }
  }
}
