package io.finetune.provider.local;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough multipart/form-data parsing for {@code POST /v1/files}. */
final class Multipart {
  private static final Pattern NAME = Pattern.compile("name=\"([^\"]*)\"");
  private static final Pattern FILENAME = Pattern.compile("filename=\"([^\"]*)\"");

  @SuppressWarnings("ArrayRecordComponent") // a carrier, never compared: no copy of the bytes
  record Part(String filename, byte[] bytes) {
    String text() {
      return new String(bytes, StandardCharsets.UTF_8).trim();
    }
  }

  private Multipart() {}

  static Map<String, Part> parse(byte[] body, String boundary) {
    // ISO-8859-1 maps bytes 1:1 to chars, so slicing the string slices the bytes.
    String all = new String(body, StandardCharsets.ISO_8859_1);
    String delimiter = "--" + boundary;
    Map<String, Part> parts = new LinkedHashMap<>();
    for (String chunk : all.split(Pattern.quote(delimiter), -1)) {
      int headerEnd = chunk.indexOf("\r\n\r\n");
      if (headerEnd < 0) {
        continue;
      }
      String headers = chunk.substring(0, headerEnd);
      String content = chunk.substring(headerEnd + 4);
      if (content.endsWith("\r\n")) {
        content = content.substring(0, content.length() - 2);
      }
      Matcher name = NAME.matcher(headers);
      if (!name.find()) {
        continue;
      }
      Matcher filename = FILENAME.matcher(headers);
      parts.put(
          name.group(1),
          new Part(
              filename.find() ? filename.group(1) : null,
              content.getBytes(StandardCharsets.ISO_8859_1)));
    }
    return parts;
  }
}
