package io.finetune.activities.provider;

/**
 * Where a provider is, the key to use, how often to poll its jobs and how its requests ride out
 * faults. The key comes from the worker's environment; it never enters workflow inputs, history,
 * logs or reports.
 */
public record ProviderConfig(
    String name, String baseUrl, String apiKey, long pollMillis, RetryPolicy retry) {

  public ProviderConfig(String name, String baseUrl, String apiKey, long pollMillis) {
    this(name, baseUrl, apiKey, pollMillis, RetryPolicy.DEFAULT);
  }

  public ProviderConfig {
    retry = retry == null ? RetryPolicy.DEFAULT : retry;
  }

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
