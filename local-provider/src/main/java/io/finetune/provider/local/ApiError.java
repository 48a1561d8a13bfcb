package io.finetune.provider.local;

import com.fasterxml.jackson.databind.JsonNode;

/** An error the provider answers in OpenAI's shape: {@code {"error": {message, code, param}}}. */
final class ApiError extends RuntimeException {
  final int status;
  final String code;
  final String param;

  ApiError(int status, String code, String message, String param) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }

  static ApiError notFound(String code, String message, String param) {
    return new ApiError(404, code, message, param);
  }

  /** A required, non-blank string field of a request body. */
  static String requiredText(JsonNode request, String field) {
    JsonNode v = request.get(field);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new ApiError(400, "missing_required_parameter", "'" + field + "' is required", field);
    }
    return v.asText();
  }
}
