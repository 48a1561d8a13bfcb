package io.finetune.gateway;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One call through the gateway, as the response path hands it to the {@link TraceWriter}: still
 * unredacted, which the writer redacts before anything is written.
 *
 * @param input the request's messages
 * @param output the answer's text; null when the provider gave none
 * @param cost in the provider's currency; null when its price is unknown
 * @param status {@link #OK}, {@link #PROVIDER_ERROR} or {@link #CLIENT_CLOSED}
 */
public record Trace(
    String id,
    long createdAtMillis,
    String modelName,
    int modelVersion,
    String providerModel,
    JsonNode input,
    String output,
    double latencyMillis,
    Long promptTokens,
    Long completionTokens,
    Double cost,
    String status) {
  public static final String OK = "ok";
  public static final String PROVIDER_ERROR = "provider_error";

  /** A streamed answer whose client went away before its end: the trace holds what went by. */
  public static final String CLIENT_CLOSED = "client_closed";
}
