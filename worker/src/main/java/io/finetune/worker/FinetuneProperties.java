package io.finetune.worker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code finetune.*} settings of the worker (application.yaml, or environment overrides). */
@ConfigurationProperties("finetune")
public class FinetuneProperties {
  /** Where artifacts, the registry and the local provider's state live. */
  private Path home = Path.of(System.getProperty("user.home"), ".finetune");

  /** How many provider requests an eval sends at once, across all running activities. */
  private int inferenceConcurrency = 4;

  private final LocalProvider localProvider = new LocalProvider();

  private final Activities activities = new Activities();

  private final Metrics metrics = new Metrics();

  private final Gateway gateway = new Gateway();

  private final Notifications notifications = new Notifications();

  private final Codec codec = new Codec();

  /** Providers by the name specs use; keys are read from the named environment variables. */
  private final Map<String, Provider> providers = new LinkedHashMap<>();

  public Path getHome() {
    return home;
  }

  public void setHome(Path home) {
    this.home = home;
  }

  public int getInferenceConcurrency() {
    return inferenceConcurrency;
  }

  public void setInferenceConcurrency(int inferenceConcurrency) {
    this.inferenceConcurrency = inferenceConcurrency;
  }

  public LocalProvider getLocalProvider() {
    return localProvider;
  }

  public Map<String, Provider> getProviders() {
    return providers;
  }

  public Codec getCodec() {
    return codec;
  }

  public Activities getActivities() {
    return activities;
  }

  /**
   * Activity timeouts that override the workflows' coded ones (unset: as coded). They bound how
   * long an activity whose worker died holds its run up before another worker retries it.
   */
  public static class Activities {
    /**
     * Heartbeat timeout of the activities that heartbeat: evals (coded: 2m), training poll (1m).
     */
    private Duration heartbeatTimeout;

    /**
     * Start-to-close timeout of the activities that do not heartbeat (import, split, profile,
     * training file, upload, job start, drift statistics: coded 30m; registry: 1m). Keep it well
     * above how long the largest dataset takes, or attempts time out and are retried.
     */
    private Duration startToCloseTimeout;

    public Duration getHeartbeatTimeout() {
      return heartbeatTimeout;
    }

    public void setHeartbeatTimeout(Duration heartbeatTimeout) {
      this.heartbeatTimeout = heartbeatTimeout;
    }

    public Duration getStartToCloseTimeout() {
      return startToCloseTimeout;
    }

    public void setStartToCloseTimeout(Duration startToCloseTimeout) {
      this.startToCloseTimeout = startToCloseTimeout;
    }
  }

  public Metrics getMetrics() {
    return metrics;
  }

  public Notifications getNotifications() {
    return notifications;
  }

  /** Where reminders of waiting checkpoints go. */
  public static class Notifications {
    /**
     * A webhook that takes JSON with {@code text} (e.g. a Slack incoming webhook); empty: no
     * reminders are sent. A secret: set it from the environment
     * (FINETUNE_NOTIFICATIONS_WEBHOOKURL), never in a spec.
     */
    private String webhookUrl;

    public String getWebhookUrl() {
      return webhookUrl;
    }

    public void setWebhookUrl(String webhookUrl) {
      this.webhookUrl = webhookUrl;
    }
  }

  public Gateway getGateway() {
    return gateway;
  }

  /**
   * The production gateway ({@code ./finetune serve}): an OpenAI-compatible endpoint in front of
   * the registry's models.
   */
  public static class Gateway {
    /** The address to bind: loopback; any other needs {@code serve --allow-remote}. */
    private String host = "127.0.0.1";

    /** 0: a free port. */
    private int port = 8800;

    /** Traces waiting to be written at most; a full queue makes requests wait, never drops one. */
    private int queueSize = 10_000;

    /** Requests handled at once (each waits for its provider). */
    private int threads = 16;

    /** Extra redaction rules, name to regex: every match is stored as {@code [name]}. */
    private Map<String, String> redaction = new LinkedHashMap<>();

    public String getHost() {
      return host;
    }

    public void setHost(String host) {
      this.host = host;
    }

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }

    public int getQueueSize() {
      return queueSize;
    }

    public void setQueueSize(int queueSize) {
      this.queueSize = queueSize;
    }

    public int getThreads() {
      return threads;
    }

    public void setThreads(int threads) {
      this.threads = threads;
    }

    public Map<String, String> getRedaction() {
      return redaction;
    }

    public void setRedaction(Map<String, String> redaction) {
      this.redaction = redaction;
    }
  }

  /**
   * The Prometheus endpoint {@code http://127.0.0.1:<port>/metrics}, served on loopback only: the
   * Temporal SDK's metrics, provider requests and pipeline stage durations.
   */
  public static class Metrics {
    /** 0: a free port, chosen at start-up and logged; -1: no endpoint and no metrics. */
    private int port = 0;

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }
  }

  /**
   * The codec endpoint (Temporal's remote codec protocol) that decrypts payloads for the Web UI and
   * the Temporal CLI; it runs when FINETUNE_CODEC_TOKEN and FINETUNE_ENCRYPTION_KEYS are set.
   */
  public static class Codec {
    /** Where it listens: loopback unless told otherwise. */
    private String host = "127.0.0.1";

    /** 0: a free port, logged at start-up. */
    private int port = 8089;

    /** Browser origins let in (CORS); empty: loopback ones (the dev server's Web UI); *: any. */
    private List<String> allowedOrigins = new ArrayList<>();

    public String getHost() {
      return host;
    }

    public void setHost(String host) {
      this.host = host;
    }

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }

    public List<String> getAllowedOrigins() {
      return allowedOrigins;
    }

    public void setAllowedOrigins(List<String> allowedOrigins) {
      this.allowedOrigins = allowedOrigins;
    }
  }

  /** The embedded provider, served on 127.0.0.1 and registered as provider {@code local}. */
  public static class LocalProvider {
    private boolean enabled = true;
    private int port = 0;

    /**
     * The environment variable holding a key the provider requires (as a real one does: 401 without
     * it) and that provider {@code local} sends; unset: no key.
     */
    private String apiKeyEnv;

    private final Chaos chaos = new Chaos();
    private final Latency latency = new Latency();

    /** The share (0 to 1) of local-judge's judgments that answer "A" whatever the answers. */
    private double judgePositionBias = 0;

    /** What the local models cost, as a real provider's price table would say (illustrative). */
    private java.util.List<Price> prices = new java.util.ArrayList<>();

    public Latency getLatency() {
      return latency;
    }

    public java.util.List<Price> getPrices() {
      return prices;
    }

    public void setPrices(java.util.List<Price> prices) {
      this.prices = prices;
    }

    public Chaos getChaos() {
      return chaos;
    }

    public double getJudgePositionBias() {
      return judgePositionBias;
    }

    public void setJudgePositionBias(double judgePositionBias) {
      this.judgePositionBias = judgePositionBias;
    }

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public int getPort() {
      return port;
    }

    public void setPort(int port) {
      this.port = port;
    }

    public String getApiKeyEnv() {
      return apiKeyEnv;
    }

    public void setApiKeyEnv(String apiKeyEnv) {
      this.apiKeyEnv = apiKeyEnv;
    }
  }

  /**
   * Faults the local provider injects, to see the pipeline ride out a busy provider: at {@code
   * rate} (0 to 1) a request is answered 429 (with Retry-After), 500, 503 or a dropped connection,
   * evenly, drawn from {@code seed}; {@code addedLatency} delays every request.
   */
  public static class Chaos {
    private double rate = 0;
    private long seed = 1;
    private Duration addedLatency = Duration.ZERO;

    public double getRate() {
      return rate;
    }

    public void setRate(double rate) {
      this.rate = rate;
    }

    public long getSeed() {
      return seed;
    }

    public void setSeed(long seed) {
      this.seed = seed;
    }

    public Duration getAddedLatency() {
      return addedLatency;
    }

    public void setAddedLatency(Duration addedLatency) {
      this.addedLatency = addedLatency;
    }
  }

  /** How long the local models take to answer, by size (tuned models as their base). */
  public static class Latency {
    private Duration small = Duration.ofMillis(3);
    private Duration medium = Duration.ofMillis(10);
    private Duration large = Duration.ofMillis(30);

    public Duration getSmall() {
      return small;
    }

    public void setSmall(Duration small) {
      this.small = small;
    }

    public Duration getMedium() {
      return medium;
    }

    public void setMedium(Duration medium) {
      this.medium = medium;
    }

    public Duration getLarge() {
      return large;
    }

    public void setLarge(Duration large) {
      this.large = large;
    }
  }

  public static class Provider {
    private String baseUrl;
    private String apiKeyEnv;
    private long pollMillis = 10_000;

    /**
     * The fine-tuning API it speaks: {@code openai} (and OpenAI-compatible) or {@code together}.
     */
    private String api = "openai";

    /**
     * Requests in flight at most from this worker: the limit adapted to 429s starts at 4 (or this,
     * if lower) and grows up to it; 0: it grows as far as the worker's requests need.
     */
    private int maxConcurrency = 0;

    /** The provider's published requests per minute for this key; 0: no limit. */
    private int requestsPerMinute = 0;

    /** The provider's published tokens per minute for this key; 0: no limit. */
    private long tokensPerMinute = 0;

    /** What each model costs, first match wins (see README, "Providers"). */
    private java.util.List<Price> prices = new java.util.ArrayList<>();

    public String getApi() {
      return api;
    }

    public void setApi(String api) {
      this.api = api;
    }

    public int getMaxConcurrency() {
      return maxConcurrency;
    }

    public void setMaxConcurrency(int maxConcurrency) {
      this.maxConcurrency = maxConcurrency;
    }

    public int getRequestsPerMinute() {
      return requestsPerMinute;
    }

    public void setRequestsPerMinute(int requestsPerMinute) {
      this.requestsPerMinute = requestsPerMinute;
    }

    public long getTokensPerMinute() {
      return tokensPerMinute;
    }

    public void setTokensPerMinute(long tokensPerMinute) {
      this.tokensPerMinute = tokensPerMinute;
    }

    public java.util.List<Price> getPrices() {
      return prices;
    }

    public void setPrices(java.util.List<Price> prices) {
      this.prices = prices;
    }

    /** How long one request rides out 429s and outages before its activity retries it. */
    private java.time.Duration retryBudget = java.time.Duration.ofSeconds(30);

    public java.time.Duration getRetryBudget() {
      return retryBudget;
    }

    public void setRetryBudget(java.time.Duration retryBudget) {
      this.retryBudget = retryBudget;
    }

    public String getBaseUrl() {
      return baseUrl;
    }

    public void setBaseUrl(String baseUrl) {
      this.baseUrl = baseUrl;
    }

    public String getApiKeyEnv() {
      return apiKeyEnv;
    }

    public void setApiKeyEnv(String apiKeyEnv) {
      this.apiKeyEnv = apiKeyEnv;
    }

    public long getPollMillis() {
      return pollMillis;
    }

    public void setPollMillis(long pollMillis) {
      this.pollMillis = pollMillis;
    }
  }

  /**
   * One line of a provider's price table: a model id (or a pattern with {@code *}) and its prices
   * per million input, output and trained tokens.
   */
  public static class Price {
    private String model;
    private double input;
    private double output;
    private double training;

    public String getModel() {
      return model;
    }

    public void setModel(String model) {
      this.model = model;
    }

    public double getInput() {
      return input;
    }

    public void setInput(double input) {
      this.input = input;
    }

    public double getOutput() {
      return output;
    }

    public void setOutput(double output) {
      this.output = output;
    }

    public double getTraining() {
      return training;
    }

    public void setTraining(double training) {
      this.training = training;
    }
  }
}
