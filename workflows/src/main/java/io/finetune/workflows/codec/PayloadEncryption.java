package io.finetune.workflows.codec;

import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import java.util.List;
import java.util.Optional;

/**
 * The data converter that the worker and the CLI share: Temporal's default JSON conversion, then
 * {@link EncryptionCodec}. With keys, every payload (inputs, results, signals, updates, queries,
 * heartbeats, current details) and every failure's message and stack trace are encrypted; without,
 * payloads stay plain and only reading an encrypted one fails, with a message saying so.
 */
public final class PayloadEncryption {
  private PayloadEncryption() {}

  public static DataConverter dataConverter(Optional<EncryptionKeys> keys) {
    return dataConverter(keys.map(EncryptionCodec::with).orElseGet(EncryptionCodec::withoutKeys));
  }

  /** The converter over {@code codec} (e.g. the one a codec endpoint serves too). */
  public static DataConverter dataConverter(EncryptionCodec codec) {
    return new CodecDataConverter(
        DefaultDataConverter.STANDARD_INSTANCE,
        List.of(codec),
        codec.encrypts()); // failure messages too, but only when there is something to hide
  }

  /** The converter for the keys in {@value EncryptionKeys#VARIABLE}. */
  public static DataConverter fromEnvironment() {
    return dataConverter(EncryptionKeys.fromEnvironment());
  }
}
