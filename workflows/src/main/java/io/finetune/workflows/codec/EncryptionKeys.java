package io.finetune.workflows.codec;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES keys that encrypt payloads, as {@value #VARIABLE} gives them: {@code id:base64key}
 * entries separated by commas. The first encrypts; every one decrypts, so a key is rotated by
 * putting a new one first and keeping the old ones for as long as histories written with them are
 * read. The key bytes never appear in a message: errors name the entry by position and id.
 */
public final class EncryptionKeys {
  /** The environment variable (worker and CLI alike) that holds the keys. */
  public static final String VARIABLE = "FINETUNE_ENCRYPTION_KEYS";

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final String HOW =
      " Expected "
          + VARIABLE
          + "=\"<id>:<base64 of 16, 24 or 32 random bytes>[,<older id>:<older key>...]\", e.g."
          + " export "
          + VARIABLE
          + "=\"k1:$(openssl rand -base64 32)\".";

  private final String current;
  private final Map<String, SecretKey> keys;

  private EncryptionKeys(String current, Map<String, SecretKey> keys) {
    this.current = current;
    this.keys = keys;
  }

  /** The keys in {@code value}, or empty when it is unset or blank (payloads stay plain). */
  public static Optional<EncryptionKeys> parse(String value) {
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    Map<String, SecretKey> keys = new LinkedHashMap<>();
    List<String> entries = new ArrayList<>(List.of(value.split(",", -1)));
    for (int i = 0; i < entries.size(); i++) {
      String entry = entries.get(i).trim();
      String where = VARIABLE + ", entry " + (i + 1);
      int colon = entry.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            where + ": no ':' between the key id and the key." + HOW);
      }
      String id = entry.substring(0, colon).trim();
      if (!ID.matcher(id).matches()) {
        throw new IllegalArgumentException(
            where
                + ": the key id must be 1 to 64 letters, digits, '.', '_' or '-', not '"
                + (id.length() > 64 ? id.substring(0, 64) + "..." : id)
                + "'."
                + HOW);
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(entry.substring(colon + 1).trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            where + " (key id '" + id + "'): the key is not valid base64." + HOW);
      }
      if (bytes.length != 16 && bytes.length != 24 && bytes.length != 32) {
        throw new IllegalArgumentException(
            where
                + " (key id '"
                + id
                + "'): the key is "
                + bytes.length
                + " bytes; AES needs 16, 24 or 32."
                + HOW);
      }
      if (keys.putIfAbsent(id, new SecretKeySpec(bytes, "AES")) != null) {
        throw new IllegalArgumentException(
            where + ": the key id '" + id + "' is given twice; each key needs its own id.");
      }
    }
    return Optional.of(new EncryptionKeys(keys.keySet().iterator().next(), Map.copyOf(keys)));
  }

  /** The keys in the environment variable {@value #VARIABLE}. */
  public static Optional<EncryptionKeys> fromEnvironment() {
    return parse(System.getenv(VARIABLE));
  }

  /** The id of the key that encrypts. */
  public String currentId() {
    return current;
  }

  SecretKey current() {
    return keys.get(current);
  }

  Optional<SecretKey> get(String id) {
    return Optional.ofNullable(keys.get(id));
  }

  /** The ids of every key, the current one first (never the keys). */
  public List<String> ids() {
    List<String> ids = new ArrayList<>(keys.keySet());
    ids.remove(current);
    ids.add(0, current);
    return ids;
  }

  @Override
  public String toString() {
    return "EncryptionKeys" + ids(); // ids only: a key never reaches a log
  }
}
