package io.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.finetune.workflows.codec.EncryptionCodec;
import io.finetune.workflows.codec.EncryptionKeys;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes;
import io.temporal.api.history.v1.HistoryEvent;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The leak scanner finds a secret in every form it can take, and only there. */
class SecretScanTest {
  private static final String KEY = "sk-test-Zx9/+q=abcdef0123456789";

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void findsASecretRawEncodedAndInBase64AtAnyOffsetNamingItAndTheLine() {
    SecretScan scan = new SecretScan().add("PROVIDER_KEY", KEY);
    assertEquals(1, scan.scan("a", utf8("one\ntwo " + KEY + "\n"), Set.of()).size());
    assertEquals(2, scan.leaks().get(0).line());
    assertEquals("PROVIDER_KEY (raw) in a, line 2", scan.leaks().get(0).toString());
    assertFalse(scan.leaks().get(0).toString().contains(KEY), "the value is never shown");

    String url = URLEncoder.encode(KEY, StandardCharsets.UTF_8);
    assertEquals(1, scan.scan("url", utf8("GET /x?key=" + url), Set.of()).size());
    assertEquals(1, scan.scan("json", utf8(KEY.replace("/", "\\/")), Set.of()).size());
    for (String prefix : List.of("", "a", "ab", "abc", "abcd")) {
      String b64 = Base64.getEncoder().encodeToString(utf8(prefix + KEY + "tail"));
      assertFalse(scan.scan("b64 " + prefix, utf8(b64), Set.of()).isEmpty(), prefix);
      String b64url = Base64.getUrlEncoder().encodeToString(utf8(prefix + KEY + "tail"));
      assertFalse(scan.scan("b64url " + prefix, utf8(b64url), Set.of()).isEmpty(), prefix);
    }
    int before = scan.leaks().size();
    assertTrue(scan.scan("clean", utf8("sk-test-Zx9/+q=abcdef012345678"), Set.of()).isEmpty());
    assertTrue(scan.scan("exempt", utf8(KEY), Set.of("PROVIDER_KEY")).isEmpty());
    assertEquals(before, scan.leaks().size());
  }

  @Test
  void findsPartsAndBinaryKeysAndCountsLogLinesAndFiles(@TempDir Path dir) throws Exception {
    byte[] aes = new byte[32];
    new java.security.SecureRandom().nextBytes(aes);
    String text = Base64.getEncoder().encodeToString(aes);
    SecretScan scan =
        new SecretScan().add("KEYS", "k1:" + text, text).addBytes("KEYS", aes).add("T", KEY);
    Files.write(dir.resolve("blob.bin"), aes);
    Files.writeString(dir.resolve("server.log"), "a\nb\nc " + text + "\n");
    scan.scanFiles(dir);
    scan.scanLog("cli", "x\ny\n", Set.of());
    assertEquals(2, scan.leaks().size(), scan.leaks().toString());
    assertTrue(scan.summary().startsWith("leaks found: 2 (2 secrets; 0 histories (0 events"));
    assertTrue(scan.summary().endsWith("5 log lines, 2 files scanned)"), scan.summary());
  }

  @Test
  void scansHistoryAsStoredAndDecoded() {
    EncryptionKeys keys =
        EncryptionKeys.parse("k1:" + Base64.getEncoder().encodeToString(new byte[32]))
            .orElseThrow();
    EncryptionCodec codec = EncryptionCodec.with(keys);
    Payload plain =
        Payload.newBuilder().setData(ByteString.copyFromUtf8("{\"k\":\"" + KEY + "\"}")).build();
    HistoryEvent event =
        HistoryEvent.newBuilder()
            .setEventId(5)
            .setEventType(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
            .setActivityTaskScheduledEventAttributes(
                ActivityTaskScheduledEventAttributes.newBuilder()
                    .setInput(
                        Payloads.newBuilder().addPayloads(codec.encode(List.of(plain)).get(0))))
            .build();
    SecretScan scan = new SecretScan().add("T", KEY).control("k\":");
    scan.scanHistory("wf/run", List.of(event), codec);
    assertEquals(1, scan.leaks().size(), scan.leaks().toString());
    assertEquals(
        "T (raw) in history wf/run event 5 EVENT_TYPE_ACTIVITY_TASK_SCHEDULED (decoded)",
        scan.leaks().get(0).toString());
    assertEquals(1, scan.controlDecoded());
    assertEquals(0, scan.controlStored());
  }
}
