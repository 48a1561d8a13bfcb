package io.finetune.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import io.finetune.workflows.codec.EncryptionCodec;
import io.finetune.workflows.codec.EncryptionKeys;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.mock.env.MockEnvironment;

/** The remote codec endpoint as the Web UI and the Temporal CLI call it. */
class CodecServerTest {
  static final String TOKEN = "codec-test-token-0123456789";
  static final String KEYS = "k1:" + Base64.getEncoder().encodeToString(new byte[32]);
  static final MediaType JSON = MediaType.get("application/json");

  private final OkHttpClient http = new OkHttpClient();
  private final EncryptionCodec codec =
      EncryptionCodec.with(EncryptionKeys.parse(KEYS).orElseThrow());
  private CodecServer server;
  private String base;

  @BeforeEach
  void start() throws IOException {
    server = CodecServer.start("127.0.0.1", 0, TOKEN, List.of(), codec);
    base = "http://127.0.0.1:" + server.address().getPort();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static Payload plain(String json) {
    return Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8(json))
        .build();
  }

  static String body(Payload... payloads) throws IOException {
    return JsonFormat.printer().print(Payloads.newBuilder().addAllPayloads(List.of(payloads)));
  }

  static Payloads parse(String json) throws IOException {
    Payloads.Builder b = Payloads.newBuilder();
    JsonFormat.parser().merge(json, b);
    return b.build();
  }

  private Response post(String path, String json, Map<String, String> headers) throws IOException {
    Request.Builder r = new Request.Builder().url(base + path).post(RequestBody.create(json, JSON));
    headers.forEach(r::header);
    return http.newCall(r.build()).execute();
  }

  @Test
  void decodesWithTheTokenInThePathAsTheWebUiCallsIt() throws IOException {
    Payload secret = codec.encode(List.of(plain("{\"dataset\":\"/data/tickets.jsonl\"}"))).get(0);
    try (Response r =
        post(
            "/" + TOKEN + "/decode",
            body(secret),
            Map.of("X-Namespace", "default", "Origin", "http://127.0.0.1:8233"))) {
      assertEquals(200, r.code());
      assertEquals("http://127.0.0.1:8233", r.header("Access-Control-Allow-Origin"));
      assertEquals(
          List.of(plain("{\"dataset\":\"/data/tickets.jsonl\"}")),
          parse(r.body().string()).getPayloadsList());
    }
  }

  @Test
  void encodesAndDecodesWithABearerTokenAsTheTemporalCliCallsIt() throws IOException {
    Map<String, String> auth = Map.of("Authorization", "Bearer " + TOKEN);
    Payload original = plain("{\"action\":\"approve\"}");
    Payload encrypted;
    try (Response r = post("/encode", body(original), auth)) {
      assertEquals(200, r.code());
      encrypted = parse(r.body().string()).getPayloads(0);
    }
    assertTrue(EncryptionCodec.isEncrypted(encrypted));
    try (Response r = post("/decode", body(encrypted, plain("\"already plain\"")), auth)) {
      assertEquals(200, r.code());
      assertEquals(
          List.of(original, plain("\"already plain\"")),
          parse(r.body().string()).getPayloadsList());
    }
  }

  @Test
  void nobodyWithoutTheTokenGetsAnything() throws IOException {
    Payload secret = codec.encode(List.of(plain("\"x\""))).get(0);
    try (Response r = post("/decode", body(secret), Map.of())) {
      assertEquals(401, r.code());
      assertTrue(r.body().string().contains("a token is needed"));
    }
    try (Response r = post("/wrong-token-0123456789/decode", body(secret), Map.of())) {
      assertEquals(403, r.code());
      assertFalse(r.body().string().contains("dataset"));
    }
    try (Response r = post("/decode", body(secret), Map.of("Authorization", "Bearer nope"))) {
      assertEquals(403, r.code());
    }
  }

  @Test
  void browsersAreLetInFromLoopbackOriginsOnly() throws IOException {
    Request preflight =
        new Request.Builder()
            .url(base + "/" + TOKEN + "/decode")
            .method("OPTIONS", null)
            .header("Origin", "http://localhost:8233")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type,x-namespace")
            .build();
    try (Response r = http.newCall(preflight).execute()) {
      assertEquals(204, r.code());
      assertEquals("http://localhost:8233", r.header("Access-Control-Allow-Origin"));
      assertTrue(r.header("Access-Control-Allow-Headers").contains("X-Namespace"));
      assertTrue(r.header("Access-Control-Allow-Methods").contains("POST"));
    }
    try (Response r =
        post(
            "/" + TOKEN + "/decode",
            body(plain("\"x\"")),
            Map.of("Origin", "https://evil.example"))) {
      assertEquals(403, r.code());
      assertNull(r.header("Access-Control-Allow-Origin"));
    }
  }

  @Test
  void badRequestsGetClearErrors() throws IOException {
    Map<String, String> auth = Map.of("Authorization", "Bearer " + TOKEN);
    try (Response r = post("/decode", "{not json", auth)) {
      assertEquals(400, r.code());
      assertTrue(r.body().string().contains("the body is not {\\\"payloads\\\""));
    }
    Payload otherKey =
        EncryptionCodec.with(
                EncryptionKeys.parse("old:" + Base64.getEncoder().encodeToString(new byte[16]))
                    .orElseThrow())
            .encode(List.of(plain("\"x\"")))
            .get(0);
    try (Response r = post("/decode", body(otherKey), auth)) {
      assertEquals(400, r.code());
      assertTrue(r.body().string().contains("key id 'old'"));
    }
    try (Response r = post("/" + TOKEN + "/metrics", "{}", Map.of())) {
      assertEquals(404, r.code());
    }
    Request get = new Request.Builder().url(base + "/" + TOKEN + "/decode").get().build();
    try (Response r = http.newCall(get).execute()) {
      assertEquals(405, r.code());
    }
  }

  @Test
  void theEndpointNeedsAWellFormedTokenAndKeys() throws IOException {
    var config = new PayloadEncryptionConfiguration();
    FinetuneProperties props = new FinetuneProperties();
    props.getCodec().setPort(0);

    assertTrue(
        config
            .codecEndpoint(new MockEnvironment(), props, config.payloadCodec(new MockEnvironment()))
            .server()
            .isEmpty(),
        "no token");

    var noKeys = new MockEnvironment().withProperty("FINETUNE_CODEC_TOKEN", TOKEN);
    var e =
        assertThrows(
            PayloadEncryptionConfiguration.EncryptionSettingsException.class,
            () -> config.codecEndpoint(noKeys, props, config.payloadCodec(noKeys)));
    assertTrue(e.getMessage().contains("FINETUNE_ENCRYPTION_KEYS is not"), e.getMessage());

    var shortToken =
        new MockEnvironment()
            .withProperty("FINETUNE_CODEC_TOKEN", "short")
            .withProperty("FINETUNE_ENCRYPTION_KEYS", KEYS);
    e =
        assertThrows(
            PayloadEncryptionConfiguration.EncryptionSettingsException.class,
            () -> config.codecEndpoint(shortToken, props, config.payloadCodec(shortToken)));
    assertTrue(e.getMessage().contains("at least 16"), e.getMessage());
    assertFalse(e.getMessage().contains("short"), "the token is never repeated");

    var badKey =
        new MockEnvironment()
            .withProperty("FINETUNE_CODEC_TOKEN", TOKEN)
            .withProperty("FINETUNE_ENCRYPTION_KEYS", "k1:tooshort");
    e =
        assertThrows(
            PayloadEncryptionConfiguration.EncryptionSettingsException.class,
            () -> config.codecEndpoint(badKey, props, config.payloadCodec(badKey)));
    var analysis =
        new EncryptionSettingsFailureAnalyzer()
            .analyze(new BeanCreationException("codecEndpoint", "failed", e));
    assertTrue(
        analysis.getDescription().contains("entry 1 (key id 'k1')"), analysis.getDescription());
    assertTrue(analysis.getAction().contains("FINETUNE_ENCRYPTION_KEYS"), analysis.getAction());

    var both =
        new MockEnvironment()
            .withProperty("FINETUNE_CODEC_TOKEN", TOKEN)
            .withProperty("FINETUNE_ENCRYPTION_KEYS", KEYS);
    try (var endpoint = config.codecEndpoint(both, props, config.payloadCodec(both))) {
      assertEquals("127.0.0.1", endpoint.server().orElseThrow().uri().getHost());
    }
  }
}
