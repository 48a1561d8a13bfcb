package io.finetune.devserver;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The embedded Temporal dev server: the in-memory test server that ships with temporal-testing,
 * served on 127.0.0.1 only. The stock port-bound server listens on every interface, and an
 * unauthenticated server that runs our activities (with our provider keys) must not be reachable
 * from the network.
 */
public final class LoopbackTemporalServer implements DevServer {
  private final TestServicesStarter services;
  private final Server server;

  private LoopbackTemporalServer(TestServicesStarter services, Server server) {
    this.services = services;
    this.server = server;
  }

  /**
   * Starts on 127.0.0.1:{@code port} (0 picks a free one) with {@code searchAttributes} registered
   * in the default namespace. Real time, no time skipping.
   */
  public static LoopbackTemporalServer start(
      int port, Map<String, IndexedValueType> searchAttributes) {
    LoopbackTemporalServer server = start(port);
    if (!searchAttributes.isEmpty()) {
      OperatorServiceStubs operator =
          OperatorServiceStubs.newServiceStubs(
              OperatorServiceStubsOptions.newBuilder()
                  .setTarget(server.target())
                  .validateAndBuildWithDefaults());
      try {
        operator
            .blockingStub()
            .addSearchAttributes(
                AddSearchAttributesRequest.newBuilder()
                    .setNamespace("default")
                    .putAllSearchAttributes(searchAttributes)
                    .build());
      } catch (RuntimeException e) {
        server.close();
        throw e;
      } finally {
        operator.shutdownNow();
      }
    }
    return server;
  }

  /** Starts on 127.0.0.1:{@code port}; port 0 picks a free one. Real time, no time skipping. */
  public static LoopbackTemporalServer start(int port) {
    TestServicesStarter services = new TestServicesStarter(true, 0);
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
            InsecureServerCredentials.create());
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    try {
      return new LoopbackTemporalServer(services, builder.build().start());
    } catch (IOException e) {
      services.close();
      if (addressInUse(e)) {
        throw new IllegalStateException(
            "Port "
                + port
                + " on 127.0.0.1 is taken: is another Temporal server (or `finetune dev`) running?"
                + " Use it, stop it, or pick another port with --port.",
            e);
      }
      throw new UncheckedIOException(e);
    }
  }

  private static boolean addressInUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      // Netty's native transport reports it as its own IOException, not as a BindException.
      if (t instanceof BindException
          || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
        return true;
      }
    }
    return false;
  }

  public int port() {
    return server.getPort();
  }

  /** Where the server listens: loopback addresses only. */
  public java.util.List<InetSocketAddress> listenAddresses() {
    return server.getListenSockets().stream().map(a -> (InetSocketAddress) a).toList();
  }

  @Override
  public String target() {
    return "127.0.0.1:" + port();
  }

  @Override
  public Optional<String> webUi() {
    return Optional.empty();
  }

  @Override
  public String description() {
    return "embedded Temporal test server (in memory: stopping it loses every run)";
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    services.close();
  }
}
