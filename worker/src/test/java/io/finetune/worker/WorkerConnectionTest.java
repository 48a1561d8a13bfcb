package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.envconfig.ClientConfigTLS;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConnectionTest {

  @Test
  void aPlainProfileGivesTargetAndNamespaceOnly() {
    Map<String, Object> props =
        WorkerConnection.properties(
            ClientConfigProfile.newBuilder().setAddress("h:7233").setNamespace("ns").build());
    assertEquals(
        Map.of("spring.temporal.connection.target", "h:7233", "spring.temporal.namespace", "ns"),
        props);
  }

  @Test
  void apiKeyAndClientCertificatesReachTheWorkerWithHttps() {
    Map<String, Object> props =
        WorkerConnection.properties(
            ClientConfigProfile.newBuilder()
                .setAddress("ns.acct.tmprl.cloud:7233")
                .setNamespace("ns.acct")
                .setApiKey("secret")
                .setTls(
                    ClientConfigTLS.newBuilder()
                        .setClientCertPath("/certs/client.pem")
                        .setClientKeyPath("/certs/client.key")
                        .build())
                .build());
    assertEquals("secret", props.get("spring.temporal.connection.api-key"));
    assertEquals("true", props.get("spring.temporal.connection.enable-https"));
    assertEquals("/certs/client.pem", props.get("spring.temporal.connection.mtls.cert-chain-file"));
    assertEquals("/certs/client.key", props.get("spring.temporal.connection.mtls.key-file"));
  }
}
