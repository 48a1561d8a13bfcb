package io.finetune.worker;

import io.finetune.workflows.codec.EncryptionCodec;
import io.finetune.workflows.codec.EncryptionKeys;
import io.finetune.workflows.codec.PayloadEncryption;
import io.temporal.common.converter.DataConverter;
import java.io.IOException;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Payload encryption: the data converter of every client and worker the Temporal Spring Boot
 * starter makes (the one bean called {@code mainDataConverter}), with the keys of {@value
 * EncryptionKeys#VARIABLE}; and, when {@value #TOKEN} is set too, the {@link CodecServer} that lets
 * the token's holders read them in the Web UI. Both secrets come from the environment (or a Spring
 * property of the same name), never from application.yaml.
 */
@Configuration
public class PayloadEncryptionConfiguration {
  private static final Logger log = LoggerFactory.getLogger(PayloadEncryptionConfiguration.class);

  /** The codec endpoint's token. */
  public static final String TOKEN = "FINETUNE_CODEC_TOKEN";

  private static final Pattern TOKEN_FORM = Pattern.compile("[A-Za-z0-9_-]{16,}");

  /** The codec of the keys in the environment: read once, for the converter and the endpoint. */
  @Bean
  EncryptionCodec payloadCodec(Environment env) {
    Optional<EncryptionKeys> keys;
    try {
      keys = EncryptionKeys.parse(env.getProperty(EncryptionKeys.VARIABLE));
    } catch (IllegalArgumentException e) {
      throw new EncryptionSettingsException(e.getMessage());
    }
    keys.ifPresentOrElse(
        k -> log.info("Payloads are encrypted (AES-GCM, keys {})", k.ids()),
        () -> log.info("Payloads are not encrypted ({} is not set)", EncryptionKeys.VARIABLE));
    return keys.map(EncryptionCodec::with).orElseGet(EncryptionCodec::withoutKeys);
  }

  @Bean
  DataConverter mainDataConverter(EncryptionCodec payloadCodec) {
    return PayloadEncryption.dataConverter(payloadCodec);
  }

  /** The codec endpoint, or a no-op when there is no token. */
  @Bean(destroyMethod = "close")
  CodecEndpoint codecEndpoint(
      Environment env, FinetuneProperties props, EncryptionCodec payloadCodec) throws IOException {
    String token = env.getProperty(TOKEN, "").trim();
    if (token.isEmpty()) {
      return new CodecEndpoint(Optional.empty());
    }
    if (!TOKEN_FORM.matcher(token).matches()) {
      throw new EncryptionSettingsException(
          TOKEN
              + " must be at least 16 letters, digits, '_' or '-' (it is a path segment of the"
              + " endpoint): e.g. export "
              + TOKEN
              + "=$(openssl rand -hex 24)");
    }
    if (!payloadCodec.encrypts()) {
      throw new EncryptionSettingsException(
          TOKEN
              + " is set but "
              + EncryptionKeys.VARIABLE
              + " is not: the codec endpoint would have nothing to decrypt. Set both, or"
              + " neither.");
    }
    FinetuneProperties.Codec c = props.getCodec();
    return new CodecEndpoint(
        Optional.of(
            CodecServer.start(
                c.getHost(), c.getPort(), token, c.getAllowedOrigins(), payloadCodec)));
  }

  /** Encryption settings the worker cannot start with; reported without a stack trace. */
  static final class EncryptionSettingsException extends RuntimeException {
    EncryptionSettingsException(String message) {
      super(message);
    }
  }

  /** The codec server when one runs. */
  public record CodecEndpoint(Optional<CodecServer> server) implements AutoCloseable {
    @Override
    public void close() {
      server.ifPresent(CodecServer::close);
    }
  }
}
