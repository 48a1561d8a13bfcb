package io.finetune.serve;

import io.finetune.gateway.ApiTokens;
import io.finetune.worker.FinetuneProperties;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The gateway's Spring contexts, without Temporal: {@link #database} holds the registry's database
 * (application.yaml's DataSource, migrated by Flyway) and the API tokens; {@link #serve} adds the
 * worker's providers (the local provider too, as configured) and the {@code GatewayServer}, closed
 * with the context (which writes every trace). It lives outside {@code io.finetune.worker} so that
 * the worker's component scan does not start a gateway.
 */
@SpringBootConfiguration
@EnableAutoConfiguration(
    excludeName = {
      "io.temporal.spring.boot.autoconfigure.MetricsScopeAutoConfiguration",
      "io.temporal.spring.boot.autoconfigure.OpenTracingAutoConfiguration",
      "io.temporal.spring.boot.autoconfigure.TestServerAutoConfiguration",
      "io.temporal.spring.boot.autoconfigure.ServiceStubsAutoConfiguration",
      "io.temporal.spring.boot.autoconfigure.RootNamespaceAutoConfiguration",
      "io.temporal.spring.boot.autoconfigure.NonRootNamespaceAutoConfiguration"
    })
@EnableConfigurationProperties(FinetuneProperties.class)
public class GatewayApplication {
  /** Set by {@code serve --allow-remote}: binding another address than loopback is allowed. */
  public static final String ALLOW_REMOTE = "finetune.gateway.allow-remote";

  /**
   * A start-up failure the user can fix (its message says how): reported by Spring Boot without a
   * stack trace ({@link StartFailureAnalyzer}), and by {@code serve} as a plain error.
   */
  public static class StartFailure extends RuntimeException {
    StartFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Refused at start-up: a non-loopback host without {@link #ALLOW_REMOTE}. */
  public static final class RemoteNotAllowed extends StartFailure {
    RemoteNotAllowed(String message) {
      super(message, null);
    }
  }

  @Bean
  ApiTokens apiTokens(DataSource dataSource) {
    return new ApiTokens(dataSource);
  }

  /** The database and the tokens only: what {@code tokens} needs. */
  public static ConfigurableApplicationContext database(Map<String, Object> overrides) {
    return run(overrides, GatewayApplication.class);
  }

  /** The gateway, listening once this returns; close the context to stop it. */
  public static ConfigurableApplicationContext serve(Map<String, Object> overrides) {
    return run(overrides, GatewayApplication.class, GatewayServing.class);
  }

  private static ConfigurableApplicationContext run(
      Map<String, Object> overrides, Class<?>... sources) {
    String[] args =
        overrides.entrySet().stream()
            .map(e -> "--" + e.getKey() + "=" + e.getValue())
            .toArray(String[]::new);
    SpringApplication app = new SpringApplication(sources);
    app.setLogStartupInfo(false);
    return app.run(args);
  }

  /** Whether {@code host} is a loopback address (127.0.0.1, ::1, localhost). */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** Why a non-loopback host is refused, and how to allow it. */
  public static String remoteRefusal(String host) {
    return "Host '"
        + host
        + "' is not a loopback address: the gateway would take requests from the network, where"
        + " its tokens travel in plain HTTP (it has no TLS) and every answer costs provider"
        + " money. Put it behind a TLS proxy and pass --allow-remote to bind it anyway, or use"
        + " 127.0.0.1.";
  }
}
