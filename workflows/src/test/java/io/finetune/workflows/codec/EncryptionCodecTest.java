package io.finetune.workflows.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.DataConverter;
import io.temporal.failure.ApplicationFailure;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EncryptionCodecTest {
  static final String KEY_A = Base64.getEncoder().encodeToString(new byte[32]);
  static final String KEY_B =
      Base64.getEncoder()
          .encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));

  static EncryptionKeys keys(String value) {
    return EncryptionKeys.parse(value).orElseThrow();
  }

  static String text(Payload p) {
    return p.toByteString().toString(StandardCharsets.UTF_8);
  }

  @Test
  void encryptsWholePayloadsAndDecryptsThemBack() {
    DataConverter converter = PayloadEncryption.dataConverter(Optional.of(keys("a:" + KEY_A)));
    Map<String, String> value = Map.of("dataset", "/data/tickets.jsonl", "label", "billing");
    Payload p = converter.toPayload(value).orElseThrow();

    assertEquals("binary/encrypted", p.getMetadataOrThrow("encoding").toStringUtf8());
    assertEquals("a", p.getMetadataOrThrow(EncryptionCodec.KEY_ID).toStringUtf8());
    assertFalse(text(p).contains("tickets"), "no plaintext in the payload");
    assertFalse(text(p).contains("json/plain"), "not even its original encoding");
    assertEquals(value, converter.fromPayload(p, Map.class, Map.class));
  }

  @Test
  void eachPayloadGetsItsOwnNonce() {
    EncryptionCodec codec = EncryptionCodec.with(keys("a:" + KEY_A));
    Payload plain = plain("same");
    List<Payload> two = codec.encode(List.of(plain, plain));
    assertNotEquals(two.get(0).getData(), two.get(1).getData());
  }

  @Test
  void oldKeysStillDecryptAfterRotation() {
    EncryptionCodec before = EncryptionCodec.with(keys("old:" + KEY_A));
    Payload written = before.encode(List.of(plain("written before rotation"))).get(0);

    EncryptionCodec after = EncryptionCodec.with(keys("new:" + KEY_B + ",old:" + KEY_A));
    assertEquals(plain("written before rotation"), after.decode(List.of(written)).get(0));
    Payload rewritten = after.encode(List.of(plain("after"))).get(0);
    assertEquals("new", rewritten.getMetadataOrThrow(EncryptionCodec.KEY_ID).toStringUtf8());
  }

  @Test
  void aPayloadOfAKeyNoLongerHeldSaysWhichKeyItNeeds() {
    Payload written = EncryptionCodec.with(keys("k0:" + KEY_A)).encode(List.of(plain("x"))).get(0);
    var e =
        assertThrows(
            PayloadCodecException.class,
            () -> EncryptionCodec.with(keys("k1:" + KEY_B)).decode(List.of(written)));
    assertTrue(e.getMessage().contains("key id 'k0'"), e.getMessage());
    assertTrue(e.getMessage().contains("[k1]"), e.getMessage());
    assertFalse(e.getMessage().contains(KEY_B), "never the key itself");
  }

  @Test
  void aClientWithoutKeysSaysThePayloadIsEncrypted() {
    Payload written = EncryptionCodec.with(keys("k0:" + KEY_A)).encode(List.of(plain("x"))).get(0);
    DataConverter plainClient = PayloadEncryption.dataConverter(Optional.empty());
    var e =
        assertThrows(
            PayloadCodecException.class,
            () -> plainClient.fromPayload(written, String.class, String.class));
    assertTrue(
        e.getMessage().contains("encrypted (key id 'k0') and FINETUNE_ENCRYPTION_KEYS is not set"),
        e.getMessage());
  }

  @Test
  void alteredPayloadsAndSwappedKeyIdsAreRefused() {
    EncryptionCodec codec = EncryptionCodec.with(keys("a:" + KEY_A + ",b:" + KEY_B));
    Payload written = codec.encode(List.of(plain("x"))).get(0);
    byte[] data = written.getData().toByteArray();
    data[data.length - 1] ^= 1;
    Payload flipped = written.toBuilder().setData(ByteString.copyFrom(data)).build();
    assertThrows(PayloadCodecException.class, () -> codec.decode(List.of(flipped)));

    Payload relabelled =
        written.toBuilder()
            .putMetadata(EncryptionCodec.KEY_ID, ByteString.copyFromUtf8("b"))
            .build();
    var e = assertThrows(PayloadCodecException.class, () -> codec.decode(List.of(relabelled)));
    assertTrue(e.getMessage().contains("altered"), e.getMessage());

    Payload cut = written.toBuilder().setData(ByteString.copyFrom(new byte[5])).build();
    assertThrows(PayloadCodecException.class, () -> codec.decode(List.of(cut)));
  }

  @Test
  void plainPayloadsPassThroughSoOldHistoriesStillRead() {
    EncryptionCodec codec = EncryptionCodec.with(keys("a:" + KEY_A));
    Payload old = plain("from before encryption");
    assertEquals(old, codec.decode(List.of(old)).get(0));
  }

  @Test
  void failureMessagesAreEncryptedToo() {
    DataConverter converter = PayloadEncryption.dataConverter(Optional.of(keys("a:" + KEY_A)));
    var failure =
        converter.exceptionToFailure(
            ApplicationFailure.newNonRetryableFailure("row 7 of /data/secret.jsonl", "BadRow"));
    assertFalse(failure.toString().contains("secret.jsonl"), failure.toString());
    ApplicationFailure back = (ApplicationFailure) converter.failureToException(failure);
    assertEquals("row 7 of /data/secret.jsonl", back.getOriginalMessage());
  }

  @Test
  void keysAreCheckedWithMessagesThatNeverShowThem() {
    assertTrue(EncryptionKeys.parse(null).isEmpty());
    assertTrue(EncryptionKeys.parse("  ").isEmpty());
    assertEquals(List.of("b", "a"), keys("b:" + KEY_B + ", a:" + KEY_A).ids());

    String shortKey = Base64.getEncoder().encodeToString(new byte[20]);
    for (String[] bad :
        new String[][] {
          {KEY_A, "entry 1: no ':'"},
          {"a:" + shortKey, "entry 1 (key id 'a'): the key is 20 bytes; AES needs 16, 24 or 32"},
          {"a:" + KEY_A + ",b:not base64!", "entry 2 (key id 'b'): the key is not valid base64"},
          {"a:" + KEY_A + ",a:" + KEY_B, "entry 2: the key id 'a' is given twice"},
          {"a b:" + KEY_A, "the key id must be 1 to 64 letters"},
          {"a:" + KEY_A + ",", "entry 2: no ':'"},
        }) {
      var e = assertThrows(IllegalArgumentException.class, () -> EncryptionKeys.parse(bad[0]));
      assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
      if (!bad[1].contains("twice")) {
        assertTrue(e.getMessage().contains("openssl rand -base64 32"), e.getMessage());
      }
      assertFalse(e.getMessage().contains(KEY_B), e.getMessage());
      assertFalse(e.getMessage().contains(shortKey), e.getMessage());
    }
    assertFalse(keys("a:" + KEY_B).toString().contains(KEY_B));
  }

  private static Payload plain(String s) {
    return Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8("\"" + s + "\""))
        .build();
  }
}
