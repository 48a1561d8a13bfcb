package io.finetune.devserver;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class LoopbackTemporalServerTest {

  @Test
  void servesTemporalOnLoopbackAndNothingElse() throws Exception {
    try (LoopbackTemporalServer server = LoopbackTemporalServer.start(0)) {
      assertFalse(server.listenAddresses().isEmpty());
      for (InetSocketAddress a : server.listenAddresses()) {
        assertTrue(a.getAddress().isLoopbackAddress(), "listens on " + a);
      }

      WorkflowServiceStubs stubs =
          WorkflowServiceStubs.newServiceStubs(
              WorkflowServiceStubsOptions.newBuilder().setTarget(server.target()).build());
      try {
        stubs.blockingStub().getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
      } finally {
        stubs.shutdownNow();
      }
    }
  }

  @Test
  void aTakenPortIsReportedPlainly() {
    try (LoopbackTemporalServer first = LoopbackTemporalServer.start(0)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class, () -> LoopbackTemporalServer.start(first.port()));
      assertTrue(e.getMessage().contains("Port " + first.port() + " on 127.0.0.1 is taken"));
    }
  }
}
