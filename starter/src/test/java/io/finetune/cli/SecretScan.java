package io.finetune.cli;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.PayloadCodec;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Looks for secrets in text and bytes: each secret as it is, URL-encoded, JSON-escaped and in
 * base64 (standard and URL-safe, at each of the three alignments a secret can have inside a longer
 * base64 text), so that a secret that went through an encoder is found too. A hit names the secret
 * by its name, never its value, with where it was and the line.
 */
final class SecretScan {
  /** One occurrence of a secret: which one (by name), in which form, where, and the line. */
  record Leak(String secret, String form, String where, long line) {
    @Override
    public String toString() {
      return secret + " (" + form + ") in " + where + (line > 0 ? ", line " + line : "");
    }
  }

  /** A form of a secret to look for: its bytes, as ISO-8859-1 text for a fast indexOf. */
  private record Needle(String secret, String form, String text) {}

  private final Map<String, List<Needle>> needles = new LinkedHashMap<>();
  private final List<Leak> leaks = new ArrayList<>();
  private long histories;
  private long events;
  private long logLines;
  private long files;
  private String control;
  private long controlStored;
  private long controlDecoded;

  /**
   * Adds the secret {@code name} (an environment variable's name, say) with its value, and parts of
   * it that are secrets on their own (a key inside {@code id:key}, a URL's secret path), each
   * looked for in every form.
   */
  SecretScan add(String name, String value, String... parts) {
    if (value == null || value.length() < 8) {
      throw new IllegalArgumentException(
          name + ": a secret to look for needs 8 characters or more");
    }
    List<Needle> forms = needles.computeIfAbsent(name, n -> new ArrayList<>());
    addForms(forms, name, "", value);
    for (String part : parts) {
      addForms(forms, name, "part, ", part);
    }
    return this;
  }

  /** Adds binary secret material (a key's bytes), raw and in base64. */
  SecretScan addBytes(String name, byte[] value) {
    List<Needle> forms = needles.computeIfAbsent(name, n -> new ArrayList<>());
    addNeedle(forms, name, "bytes", value);
    addBase64(forms, name, "bytes, ", value);
    return this;
  }

  private static void addForms(List<Needle> forms, String name, String prefix, String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    addNeedle(forms, name, prefix + "raw", utf8);
    addNeedle(
        forms,
        name,
        prefix + "URL-encoded",
        URLEncoder.encode(value, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
    addNeedle(
        forms,
        name,
        prefix + "JSON-escaped",
        value.replace("/", "\\/").getBytes(StandardCharsets.UTF_8));
    addNeedle(
        forms,
        name,
        prefix + "JSON-escaped, HTML-safe",
        value
            .replace("=", "\\u003d")
            .replace("&", "\\u0026")
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("'", "\\u0027")
            .getBytes(StandardCharsets.UTF_8));
    addBase64(forms, name, prefix, utf8);
  }

  /**
   * The base64 text of {@code value} wherever it starts in a longer text: for each of the three
   * byte offsets modulo 3, the characters that depend on the secret's bytes alone.
   */
  private static void addBase64(List<Needle> forms, String name, String prefix, byte[] value) {
    for (int shift = 0; shift < 3; shift++) {
      byte[] padded = new byte[shift + value.length];
      System.arraycopy(value, 0, padded, shift, value.length);
      String std = Base64.getEncoder().withoutPadding().encodeToString(padded);
      int from = (8 * shift + 5) / 6;
      int to = 8 * (shift + value.length) / 6;
      String core = std.substring(from, to);
      addNeedle(forms, name, prefix + "base64", core.getBytes(StandardCharsets.US_ASCII));
      addNeedle(
          forms,
          name,
          prefix + "base64url",
          core.replace('+', '-').replace('/', '_').getBytes(StandardCharsets.US_ASCII));
    }
  }

  private static void addNeedle(List<Needle> forms, String name, String form, byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    if (forms.stream().noneMatch(n -> n.text().equals(text))) {
      forms.add(new Needle(name, form, text));
    }
  }

  /**
   * A marker that is no secret but travels as the secrets would (in a spec, say): counted in the
   * events of histories as stored and decoded, to show that the decoded scan sees payloads' content
   * and the stored one sees them encrypted.
   */
  SecretScan control(String marker) {
    this.control = marker;
    return this;
  }

  /** Events whose stored form holds the control marker. */
  long controlStored() {
    return controlStored;
  }

  /** Events whose decoded form holds the control marker. */
  long controlDecoded() {
    return controlDecoded;
  }

  /** The names of the secrets looked for. */
  Set<String> secrets() {
    return needles.keySet();
  }

  /** Scans {@code content}; {@code exempt} names secrets that belong there (and are skipped). */
  List<Leak> scan(String where, byte[] content, Set<String> exempt) {
    return scan(where, content, exempt, true);
  }

  private List<Leak> scan(String where, byte[] content, Set<String> exempt, boolean lines) {
    String text = new String(content, StandardCharsets.ISO_8859_1);
    // One leak per secret and line, in the first form found there (raw before encoded ones).
    Map<String, Leak> found = new LinkedHashMap<>();
    for (List<Needle> forms : needles.values()) {
      for (Needle n : forms) {
        if (exempt.contains(n.secret())) {
          continue;
        }
        for (int i = text.indexOf(n.text()); i >= 0; i = text.indexOf(n.text(), i + 1)) {
          long line = lines ? lineOf(text, i) : 0;
          found.putIfAbsent(n.secret() + "\n" + line, new Leak(n.secret(), n.form(), where, line));
        }
      }
    }
    leaks.addAll(found.values());
    return List.copyOf(found.values());
  }

  private static boolean contains(byte[] content, String text) {
    return new String(content, StandardCharsets.ISO_8859_1).contains(text);
  }

  private static long lineOf(String text, int index) {
    long line = 1;
    for (int i = text.lastIndexOf('\n', index); i >= 0; i = text.lastIndexOf('\n', i - 1)) {
      line++;
    }
    return line;
  }

  /** A process's output, line by line. */
  void scanLog(String where, String output, Set<String> exempt) {
    logLines += output.lines().count();
    scan(where, output.getBytes(StandardCharsets.UTF_8), exempt);
  }

  /** Every regular file under {@code root}, as bytes. */
  void scanFiles(Path root) throws IOException {
    List<Path> all;
    try (Stream<Path> walk = Files.walk(root)) {
      all = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path file : all) {
      files++;
      byte[] content = Files.readAllBytes(file);
      if (file.getFileName().toString().endsWith(".log")) {
        logLines += new String(content, StandardCharsets.UTF_8).lines().count();
      }
      scan(root.relativize(file).toString(), content, Set.of());
    }
  }

  /**
   * One workflow history's events, each as it is stored (payloads encrypted, when they are) and as
   * a holder of the codec sees it: every payload in it decoded by {@code codec}.
   */
  void scanHistory(String execution, List<? extends Message> historyEvents, PayloadCodec codec) {
    histories++;
    for (Message event : historyEvents) {
      events++;
      String where = "history " + execution + " event " + describe(event);
      byte[] stored = event.toByteArray();
      byte[] decoded = decoded(event, codec).toByteArray();
      scan(where + " (as stored)", stored, Set.of(), false);
      scan(where + " (decoded)", decoded, Set.of(), false);
      if (control != null) {
        controlStored += contains(stored, control) ? 1 : 0;
        controlDecoded += contains(decoded, control) ? 1 : 0;
      }
    }
  }

  private static String describe(Message event) {
    Object id = field(event, "event_id");
    Object type = field(event, "event_type");
    return id + " " + type;
  }

  private static Object field(Message m, String name) {
    FieldDescriptor f = m.getDescriptorForType().findFieldByName(name);
    return f == null ? "?" : m.getField(f);
  }

  /** {@code m} with every payload anywhere in it decoded by {@code codec}. */
  static Message decoded(Message m, PayloadCodec codec) {
    if (m instanceof Payload p) {
      return codec.decode(List.of(p)).get(0);
    }
    Message.Builder b = null;
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (b == null) {
        b = m.toBuilder();
      }
      if (f.isRepeated()) {
        List<?> values = (List<?>) e.getValue();
        b.clearField(f);
        for (Object v : values) {
          b.addRepeatedField(f, decoded((Message) v, codec));
        }
      } else {
        b.setField(f, decoded((Message) e.getValue(), codec));
      }
    }
    return b == null ? m : b.build();
  }

  List<Leak> leaks() {
    return List.copyOf(leaks);
  }

  /** The one line CI prints. */
  String summary() {
    return "leaks found: "
        + leaks.size()
        + " ("
        + needles.size()
        + " secrets; "
        + histories
        + " histories ("
        + events
        + " events, raw and decoded), "
        + logLines
        + " log lines, "
        + files
        + " files scanned)";
  }
}
