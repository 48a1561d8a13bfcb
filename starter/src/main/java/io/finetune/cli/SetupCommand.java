package io.finetune.cli;

import io.finetune.devserver.SearchAttributeTypes;
import io.finetune.workflows.common.FinetuneSearchAttributes;
import io.grpc.Status;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    mixinStandardHelpOptions = true,
    name = "setup",
    description = {
      "Registers the search attributes our workflows set (FinetuneModel, FinetuneStage, ...) in"
          + " the namespace, so that runs can be found by them in the Web UI and with"
          + " `list --query`. Safe to run again.",
      "On Temporal Cloud, where namespaces are managed with tcld, it prints the command to run."
    })
class SetupCommand implements Callable<Integer> {
  @Mixin TemporalOptions temporal;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Map<String, IndexedValueType> wanted = FinetuneSearchAttributes.definitions();
    if (temporal.address().contains("tmprl.cloud")) {
      out.println("On Temporal Cloud, register the search attributes with tcld:");
      out.println("  " + tcldCommand(temporal.namespace(), wanted));
      return 0;
    }
    temporal.connect().getWorkflowServiceStubs().shutdown(); // says clearly when nothing answers
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder(
                    temporal.profile().toWorkflowServiceStubsOptions())
                .validateAndBuildWithDefaults());
    try {
      Map<String, IndexedValueType> known =
          new TreeMap<>(
              operator
                  .blockingStub()
                  .listSearchAttributes(
                      ListSearchAttributesRequest.newBuilder()
                          .setNamespace(temporal.namespace())
                          .build())
                  .getCustomAttributesMap());
      Map<String, IndexedValueType> missing = new TreeMap<>();
      wanted.forEach(
          (name, type) -> {
            if (known.containsKey(name) && known.get(name) != type) {
              throw new UserError(
                  "Search attribute "
                      + name
                      + " exists in namespace "
                      + temporal.namespace()
                      + " with type "
                      + known.get(name)
                      + ", not "
                      + type
                      + "; remove it or use another namespace.");
            }
            if (!known.containsKey(name)) {
              missing.put(name, type);
            }
          });
      if (!missing.isEmpty()) {
        operator
            .blockingStub()
            .addSearchAttributes(
                AddSearchAttributesRequest.newBuilder()
                    .setNamespace(temporal.namespace())
                    .putAllSearchAttributes(missing)
                    .build());
      }
      out.println(
          "Namespace "
              + temporal.namespace()
              + " on "
              + temporal.address()
              + ": "
              + (missing.isEmpty()
                  ? "every search attribute was already registered"
                  : "registered " + String.join(", ", missing.keySet()))
              + " ("
              + wanted.size()
              + " in all).");
      return 0;
    } catch (io.grpc.StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        throw new UserError(
            "This server cannot list or register search attributes (the embedded dev server"
                + " registers them itself at start).");
      }
      if (e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
        throw new UserError(
            "Not allowed to register search attributes in "
                + temporal.namespace()
                + "; ask an operator to run:\n  temporal operator search-attribute create"
                + " --namespace "
                + temporal.namespace()
                + wanted.entrySet().stream()
                    .map(
                        e2 ->
                            " --name "
                                + e2.getKey()
                                + " --type "
                                + SearchAttributeTypes.name(e2.getValue()))
                    .collect(Collectors.joining()));
      }
      throw e;
    } finally {
      operator.shutdown();
    }
  }

  static String tcldCommand(String namespace, Map<String, IndexedValueType> attributes) {
    return "tcld namespace search-attributes add --namespace "
        + namespace
        + attributes.entrySet().stream()
            .map(
                e -> " --sa \"" + e.getKey() + "=" + SearchAttributeTypes.name(e.getValue()) + "\"")
            .collect(Collectors.joining());
  }
}
