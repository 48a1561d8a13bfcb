package io.finetune.worker;

import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.envconfig.ClientConfigTLS;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Temporal client profile (address, namespace, API key, TLS: what the CLI reads through the SDK's
 * envconfig) as the Temporal Spring Boot starter's properties, so that the worker reaches the same
 * server the same way.
 */
public final class WorkerConnection {
  private WorkerConnection() {}

  public static Map<String, Object> properties(ClientConfigProfile p) {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("spring.temporal.connection.target", p.getAddress());
    props.put("spring.temporal.namespace", p.getNamespace());
    boolean tls = false;
    if (p.getApiKey() != null && !p.getApiKey().isEmpty()) {
      props.put("spring.temporal.connection.api-key", p.getApiKey());
      tls = true;
    }
    ClientConfigTLS t = p.getTls();
    if (t != null && !Boolean.TRUE.equals(t.isDisabled())) {
      tls = true;
      if (t.getClientCertPath() != null) {
        props.put("spring.temporal.connection.mtls.cert-chain-file", t.getClientCertPath());
      }
      if (t.getClientKeyPath() != null) {
        props.put("spring.temporal.connection.mtls.key-file", t.getClientKeyPath());
      }
      if (t.getServerName() != null) {
        props.put("spring.temporal.connection.mtls.server-name", t.getServerName());
      }
    }
    if (tls) {
      props.put("spring.temporal.connection.enable-https", "true");
    }
    return props;
  }
}
