package io.finetune.activities.provider;

import io.finetune.workflows.common.Failures;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;

/** The providers this worker is configured with, by the name specs use. */
public final class Providers {
  private final Map<String, ProviderConfig> configs = new TreeMap<>();
  private final Map<String, ProviderClient> clients = new ConcurrentHashMap<>();
  private final OkHttpClient http =
      new OkHttpClient.Builder()
          .connectTimeout(10, TimeUnit.SECONDS)
          .readTimeout(2, TimeUnit.MINUTES)
          .writeTimeout(2, TimeUnit.MINUTES)
          .build();

  private final ProviderMetrics metrics;

  public Providers(Iterable<ProviderConfig> configs) {
    this(configs, ProviderMetrics.NONE);
  }

  /** With {@code metrics} told about every request any client makes. */
  public Providers(Iterable<ProviderConfig> configs, ProviderMetrics metrics) {
    configs.forEach(c -> this.configs.put(c.name(), c));
    this.metrics = metrics;
  }

  public ProviderClient client(String name) {
    ProviderConfig config = configs.get(name);
    if (config == null) {
      throw Failures.invalidInput(
          "Unknown provider '"
              + name
              + "': this worker knows "
              + configs.keySet()
              + ". Configure it on the worker with finetune.providers."
              + name
              + ".base-url (and its key in the environment variable named by"
              + " finetune.providers."
              + name
              + ".api-key-env).");
    }
    return clients.computeIfAbsent(name, n -> new ProviderClient(config, http, metrics));
  }
}
