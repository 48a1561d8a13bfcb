package io.finetune.activities.provider;

import java.util.List;

/**
 * Where a provider is, the key to use, how often to poll its jobs, how its requests ride out
 * faults, which fine-tuning API it speaks, the limits it publishes and what it charges. The key
 * comes from the worker's environment; it never enters workflow inputs, history, logs or reports.
 *
 * @param api the fine-tuning API dialect: {@code openai} (also every OpenAI-compatible server) or
 *     {@code together}; inference is OpenAI-compatible for both
 * @param limits the provider's published request and token limits for this worker
 * @param prices per model id (or {@code *} pattern), first match wins; empty: costs unknown
 */
public record ProviderConfig(
    String name,
    String baseUrl,
    String apiKey,
    long pollMillis,
    RetryPolicy retry,
    String api,
    Limits limits,
    List<Price> prices) {

  public static final String OPENAI_API = "openai";
  public static final String TOGETHER_API = "together";

  /** The fine-tuning APIs this worker speaks. */
  public static final List<String> APIS = List.of(OPENAI_API, TOGETHER_API);

  public ProviderConfig(String name, String baseUrl, String apiKey, long pollMillis) {
    this(name, baseUrl, apiKey, pollMillis, RetryPolicy.DEFAULT);
  }

  public ProviderConfig(
      String name, String baseUrl, String apiKey, long pollMillis, RetryPolicy retry) {
    this(name, baseUrl, apiKey, pollMillis, retry, OPENAI_API, Limits.NONE, List.of());
  }

  public ProviderConfig {
    retry = retry == null ? RetryPolicy.DEFAULT : retry;
    api = api == null || api.isBlank() ? OPENAI_API : api.trim();
    limits = limits == null ? Limits.NONE : limits;
    prices = prices == null ? List.of() : List.copyOf(prices);
  }

  public ProviderConfig withApi(String other) {
    return new ProviderConfig(name, baseUrl, apiKey, pollMillis, retry, other, limits, prices);
  }

  public ProviderConfig withLimits(Limits other) {
    return new ProviderConfig(name, baseUrl, apiKey, pollMillis, retry, api, other, prices);
  }

  public ProviderConfig withPrices(List<Price> other) {
    return new ProviderConfig(name, baseUrl, apiKey, pollMillis, retry, api, limits, other);
  }

  /**
   * A provider's published limits for this worker: requests in flight at most (the adaptive limit
   * grows up to it), requests and tokens per minute. 0: no limit of that kind.
   */
  public record Limits(int maxConcurrency, int requestsPerMinute, long tokensPerMinute) {
    public static final Limits NONE = new Limits(0, 0, 0);
  }

  /**
   * What a model costs, in the provider's currency (USD for the ones documented): per million input
   * and output tokens, and per million trained tokens when it is a base model for training.
   *
   * @param model a model id, or a pattern with {@code *} for any characters (e.g. {@code
   *     ft:gpt-4.1-mini*} for every model tuned from it)
   */
  public record Price(
      String model, double inputPerMillion, double outputPerMillion, double trainingPerMillion) {
    public boolean matches(String modelId) {
      if (model == null || modelId == null) {
        return false;
      }
      String regex =
          java.util.Arrays.stream(model.split("\\*", -1))
              .map(java.util.regex.Pattern::quote)
              .collect(java.util.stream.Collectors.joining(".*"));
      return modelId.matches(regex);
    }
  }

  /** The price of {@code modelId}: the first entry that matches, or none. */
  public java.util.Optional<Price> price(String modelId) {
    return prices.stream().filter(p -> p.matches(modelId)).findFirst();
  }

  @Override
  public String toString() {
    return "ProviderConfig[name="
        + name
        + ", baseUrl="
        + baseUrl
        + ", api="
        + api
        + ", apiKey="
        + (apiKey == null || apiKey.isEmpty() ? "none" : "***")
        + "]";
  }
}
