package io.finetune.workflows.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts each payload whole (its metadata and data) with AES-GCM under the current key and names
 * the key in the new payload's metadata, so that any key still held decrypts it. Decoding passes
 * payloads that are not encrypted through unchanged: histories written before encryption was turned
 * on, and values typed into the Web UI without the codec, keep working.
 *
 * <p>Without keys ({@link #withoutKeys()}) nothing is encrypted, and an encrypted payload fails
 * with a message that says which key it needs, instead of a JSON error about binary data.
 */
public final class EncryptionCodec implements PayloadCodec {
  /** The encoding of an encrypted payload, as Temporal's samples name it. */
  public static final String ENCODING = "binary/encrypted";

  /** The metadata entry that names the key. */
  public static final String KEY_ID = "encryption-key-id";

  private static final String CIPHER_NAME = "encryption-cipher";
  private static final String CIPHER = "AES/GCM/NoPadding";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Optional<EncryptionKeys> keys;

  private EncryptionCodec(Optional<EncryptionKeys> keys) {
    this.keys = keys;
  }

  public static EncryptionCodec with(EncryptionKeys keys) {
    return new EncryptionCodec(Optional.of(keys));
  }

  public static EncryptionCodec withoutKeys() {
    return new EncryptionCodec(Optional.empty());
  }

  public boolean encrypts() {
    return keys.isPresent();
  }

  public static boolean isEncrypted(Payload p) {
    return p.getMetadataMap().containsKey("encoding")
        && ENCODING.equals(p.getMetadataOrThrow("encoding").toStringUtf8());
  }

  @Override
  public List<Payload> encode(List<Payload> payloads) {
    if (keys.isEmpty()) {
      return payloads;
    }
    return payloads.stream().map(this::encrypt).toList();
  }

  @Override
  public List<Payload> decode(List<Payload> payloads) {
    return payloads.stream().map(p -> isEncrypted(p) ? decrypt(p) : p).toList();
  }

  private Payload encrypt(Payload plain) {
    EncryptionKeys k = keys.orElseThrow();
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    byte[] sealed;
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, k.current(), nonce, k.currentId());
      sealed = cipher.doFinal(plain.toByteArray());
    } catch (GeneralSecurityException e) {
      throw new PayloadCodecException("Cannot encrypt a payload: " + e.getMessage(), e);
    }
    return Payload.newBuilder()
        .putMetadata("encoding", utf8(ENCODING))
        .putMetadata(KEY_ID, utf8(k.currentId()))
        .putMetadata(CIPHER_NAME, utf8(CIPHER))
        .setData(
            ByteString.copyFrom(
                ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array()))
        .build();
  }

  private Payload decrypt(Payload encrypted) {
    String id =
        encrypted.getMetadataMap().containsKey(KEY_ID)
            ? encrypted.getMetadataOrThrow(KEY_ID).toStringUtf8()
            : "";
    if (keys.isEmpty()) {
      throw new PayloadCodecException(
          "This payload is encrypted (key id '"
              + id
              + "') and "
              + EncryptionKeys.VARIABLE
              + " is not set here: set it to the worker's keys to read it.");
    }
    SecretKey key =
        keys.get()
            .get(id)
            .orElseThrow(
                () ->
                    new PayloadCodecException(
                        "This payload is encrypted with key id '"
                            + id
                            + "', which "
                            + EncryptionKeys.VARIABLE
                            + " does not hold (it holds "
                            + keys.get().ids()
                            + "): add that key after the current one; old keys keep"
                            + " decrypting."));
    byte[] data = encrypted.getData().toByteArray();
    if (data.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new PayloadCodecException(
          "An encrypted payload (key id '" + id + "') is too short to be one: it is damaged.");
    }
    byte[] plain;
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, data, id);
      plain = cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES);
    } catch (GeneralSecurityException e) {
      throw new PayloadCodecException(
          "An encrypted payload does not decrypt with key id '"
              + id
              + "': the key under that id is not the one that encrypted it, or the payload was"
              + " altered.");
    }
    try {
      return Payload.parseFrom(plain);
    } catch (InvalidProtocolBufferException e) {
      throw new PayloadCodecException("A decrypted payload is not a Temporal payload.", e);
    }
  }

  /** The key id is authenticated too, so a payload can't be relabelled to another key. */
  private static Cipher cipher(int mode, SecretKey key, byte[] nonce, String keyId)
      throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance(CIPHER);
    cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce, 0, NONCE_BYTES));
    cipher.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
    return cipher;
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
