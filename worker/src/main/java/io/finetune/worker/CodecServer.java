package io.finetune.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.temporal.api.common.v1.Payloads;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's remote codec protocol ({@code POST <endpoint>/encode} and {@code /decode}, bodies
 * {@code {"payloads": [...]}} in protobuf JSON) over the worker's {@link PayloadCodec}, so that the
 * Web UI and the Temporal CLI ({@code --codec-endpoint}) show decrypted payloads.
 *
 * <p>Only those who hold the token get an answer: the Web UI sends no credentials of its own, so
 * the token may be the endpoint's first path segment ({@code http://127.0.0.1:8089/<token>}); a
 * client that can set headers may send {@code Authorization: Bearer <token>} to {@code /decode}
 * instead. Browsers are let in (CORS) only from the origins allowed, loopback ones by default.
 */
public final class CodecServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CodecServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The most a request may carry: the Web UI decodes a history page's payloads at once. */
  static final int MAX_BODY_BYTES = 32 * 1024 * 1024;

  private static final Pattern LOOPBACK_ORIGIN =
      Pattern.compile("https?://(localhost|127\\.0\\.0\\.1|\\[::1\\])(:\\d+)?");

  private final HttpServer server;
  private final ExecutorService executor;

  private CodecServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code host:port} ({@code 0}: a free port) and serves {@code codec} to holders of {@code
   * token}; {@code allowedOrigins} empty lets in loopback origins only, {@code *} any origin.
   */
  public static CodecServer start(
      String host, int port, String token, List<String> allowedOrigins, PayloadCodec codec)
      throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 0);
    ExecutorService executor = Executors.newFixedThreadPool(2);
    server.setExecutor(executor);
    Handler handler = new Handler(token.getBytes(StandardCharsets.UTF_8), allowedOrigins, codec);
    server.createContext("/", handler::handle);
    server.start();
    CodecServer codecServer = new CodecServer(server, executor);
    log.info(
        "Codec endpoint (Temporal remote codec): http://{}:{}/<FINETUNE_CODEC_TOKEN>;"
            + " in the Web UI: the codec server settings; for the Temporal CLI: --codec-endpoint"
            + " http://{}:{} --codec-auth \"Bearer $FINETUNE_CODEC_TOKEN\"",
        host,
        codecServer.address().getPort(),
        host,
        codecServer.address().getPort());
    return codecServer;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** The endpoint without the token (for clients that send it in a header). */
  public URI uri() {
    return URI.create("http://" + server.getAddress().getHostString() + ":" + address().getPort());
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @SuppressWarnings("ArrayRecordComponent") // a carrier of the token's bytes, never compared
  private record Handler(byte[] token, List<String> allowedOrigins, PayloadCodec codec) {

    void handle(HttpExchange exchange) throws IOException {
      try (exchange) {
        Headers out = exchange.getResponseHeaders();
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null) {
          if (!originAllowed(origin)) {
            send(
                exchange,
                403,
                "origin " + origin + " is not allowed (finetune.codec.allowed-origins)");
            return;
          }
          out.set("Access-Control-Allow-Origin", origin);
          out.set("Vary", "Origin");
          out.set("Access-Control-Allow-Credentials", "true");
        }
        String method = exchange.getRequestMethod();
        if (method.equals("OPTIONS")) { // a browser's preflight: it carries no credentials
          out.set("Access-Control-Allow-Methods", "POST, OPTIONS");
          out.set(
              "Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization, Cookie");
          out.set("Access-Control-Max-Age", "600");
          exchange.sendResponseHeaders(204, -1);
          return;
        }
        String path = exchange.getRequestURI().getPath();
        String[] parts = path.replaceAll("^/+|/+$", "").split("/", -1);
        String operation = parts[parts.length - 1];
        if ((!operation.equals("encode") && !operation.equals("decode")) || parts.length > 2) {
          send(exchange, 404, "not found: POST /<token>/encode or /<token>/decode");
          return;
        }
        String presented =
            parts.length == 2
                ? parts[0]
                : bearer(exchange.getRequestHeaders().getFirst("Authorization"));
        if (presented == null) {
          send(
              exchange,
              401,
              "a token is needed: POST /<token>/"
                  + operation
                  + " or send Authorization: Bearer <token>");
          return;
        }
        if (!MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8))) {
          send(exchange, 403, "wrong token");
          return;
        }
        if (!method.equals("POST")) {
          out.set("Allow", "POST, OPTIONS");
          send(exchange, 405, "use POST");
          return;
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
          body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES) {
          send(exchange, 413, "the body is over " + MAX_BODY_BYTES + " bytes");
          return;
        }
        Payloads.Builder request = Payloads.newBuilder();
        try {
          JsonFormat.parser().merge(new String(body, StandardCharsets.UTF_8), request);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
          send(
              exchange,
              400,
              "the body is not {\"payloads\": [{\"metadata\": {...}, \"data\": \"<base64>\"}]}: "
                  + e.getMessage());
          return;
        }
        Payloads result;
        try {
          result =
              Payloads.newBuilder()
                  .addAllPayloads(
                      operation.equals("encode")
                          ? codec.encode(request.getPayloadsList())
                          : codec.decode(request.getPayloadsList()))
                  .build();
        } catch (PayloadCodecException e) {
          send(exchange, 400, e.getMessage());
          return;
        }
        byte[] json = JsonFormat.printer().print(result).getBytes(StandardCharsets.UTF_8);
        out.set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, json.length);
        try (OutputStream o = exchange.getResponseBody()) {
          o.write(json);
        }
      } catch (IOException | RuntimeException e) {
        log.warn("Codec endpoint: a request failed: {}", e.toString());
      }
    }

    private boolean originAllowed(String origin) {
      if (allowedOrigins.isEmpty()) {
        return LOOPBACK_ORIGIN.matcher(origin).matches();
      }
      return allowedOrigins.contains("*") || allowedOrigins.contains(origin);
    }

    private static String bearer(String authorization) {
      if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
        return null;
      }
      return authorization.substring(7).trim();
    }

    private static void send(HttpExchange exchange, int status, String message) throws IOException {
      byte[] body = JSON.writeValueAsBytes(Map.of("error", message));
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream o = exchange.getResponseBody()) {
        o.write(body);
      }
    }
  }
}
