package io.finetune.activities.provider;

/**
 * Where a provider is and the key to use. The key comes from the worker's environment; it never
 * enters workflow inputs, history, logs or reports.
 */
public record ProviderConfig(String name, String baseUrl, String apiKey, long pollMillis) {
  @Override
  public String toString() {
    return "ProviderConfig[name="
        + name
        + ", baseUrl="
        + baseUrl
        + ", apiKey="
        + (apiKey == null || apiKey.isEmpty() ? "none" : "***")
        + "]";
  }
}
