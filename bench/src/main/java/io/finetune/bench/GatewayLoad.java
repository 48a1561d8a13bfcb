package io.finetune.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.ConnectionPool;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.HdrHistogram.Histogram;

/**
 * The gateway under load, from a process of its own: starts the {@link StubProvider} (fixed
 * latency) and, per case, a {@link BenchGateway} process on a fresh H2 file database; sends the
 * same chat request at a fixed concurrency first straight to the stub and then through the gateway,
 * each after a warm-up; stops the gateway as Ctrl-C does and counts the rows of its traces table,
 * which must equal the requests the gateway answered (warm-up included). Prints a Markdown table;
 * exits 1 when a request failed or a trace is missing.
 *
 * <pre>java io.finetune.bench.GatewayLoad WORK_DIR [--quick]</pre>
 */
public final class GatewayLoad {
  private static final MediaType JSON = MediaType.get("application/json");
  private static final long STUB_LATENCY_MILLIS = 20;

  /**
   * One row of the table.
   *
   * @param queue traces waiting to be written at most (production default: 10,000)
   * @param batch traces per insert at most (production: min(100, queue))
   * @param slowBatchMillis added to every batch insert: a slow database
   */
  record Case(
      String name,
      int requests,
      int warmup,
      int concurrency,
      int queue,
      int batch,
      long slowBatchMillis) {}

  /** What one load phase measured. */
  record Load(Histogram micros, int sent, int failed, double seconds) {
    double rate() {
      return sent / seconds;
    }

    double p(double percentile) {
      return micros.getValueAtPercentile(percentile) / 1000.0;
    }
  }

  private final Path work;
  private final String java;
  private final String classpath = System.getProperty("java.class.path");
  private final OkHttpClient http =
      new OkHttpClient.Builder()
          // More idle connections than callers: no caller ever pays for a new connection.
          .connectionPool(new ConnectionPool(64, 5, TimeUnit.MINUTES))
          .readTimeout(Duration.ofMinutes(2))
          .build();

  private GatewayLoad(Path work) {
    this.work = work;
    this.java = ProcessHandle.current().info().command().orElse("java");
  }

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]);
    boolean quick = args.length > 1 && args[1].equals("--quick");
    int scale = quick ? 10 : 1;
    // No stub or gateway outlives the driver, however it ends.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> ProcessHandle.current().children().forEach(ProcessHandle::destroy)));
    // The first two on the production settings (queue-size 10,000, batches of 100).
    List<Case> cases =
        List.of(
            new Case("one at a time", 500 / scale, 300 / scale, 1, 10_000, 100, 0),
            new Case("concurrent", 5_000 / scale, 2_000 / scale, 16, 10_000, 100, 0),
            new Case(
                "concurrent, slow database: +50 ms per batch insert, queue 10, batches of 10",
                2_000 / scale,
                500 / scale,
                16,
                10,
                10,
                50));
    System.exit(new GatewayLoad(work).run(cases) ? 0 : 1);
  }

  private boolean run(List<Case> cases) throws Exception {
    Process stub = start("stub", StubProvider.class, String.valueOf(STUB_LATENCY_MILLIS));
    boolean ok = true;
    List<String> rows = new ArrayList<>();
    try {
      String stubUrl =
          "http://127.0.0.1:" + firstLine(stub, "stub", "port ").split(" ", -1)[1] + "/v1";
      for (Case c : cases) {
        String[] row = runCase(c, stubUrl);
        ok &= row[1].equals("ok");
        rows.add(row[0]);
      }
    } finally {
      stub.destroy();
      stub.waitFor();
    }
    System.out.println();
    System.out.println(
        "| case | requests | concurrency | rate held, req/s (direct) | added latency p50 / p99 ms"
            + " | gateway p50 / p99 ms (direct) | traces written / sent |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|");
    rows.forEach(System.out::println);
    return ok;
  }

  /** One case: a fresh gateway, direct then gateway load, a clean stop, the traces counted. */
  private String[] runCase(Case c, String stubUrl) throws Exception {
    Path db = work.resolve("db-" + c.concurrency() + "-" + c.queue() + "-" + c.slowBatchMillis());
    String name = "gateway-" + c.concurrency() + "-" + c.slowBatchMillis();
    Process gateway =
        start(
            name,
            BenchGateway.class,
            db.toString(),
            stubUrl,
            String.valueOf(c.queue()),
            String.valueOf(c.batch()),
            String.valueOf(c.slowBatchMillis()));
    try {
      return measure(c, stubUrl, db, name, gateway);
    } finally {
      gateway.destroyForcibly(); // gone already after a clean stop; this is for a failed case
    }
  }

  private String[] measure(Case c, String stubUrl, Path db, String name, Process gateway)
      throws Exception {
    String[] ready = firstLine(gateway, name, "ready ").split(" ", -1);
    String gatewayUrl = "http://127.0.0.1:" + ready[1] + "/v1";
    String token = ready[2];

    // The same body both ways; the stub ignores the model, the gateway resolves it in its registry.
    String body =
        "{\"model\":\""
            + BenchGateway.MODEL
            + "\",\"messages\":[{\"role\":\"user\",\"content\":"
            + "\"I was charged twice, write to me at jane@example.com\"}]}";
    log("%s: warm-up (%d each way)", c.name(), c.warmup());
    load(stubUrl, null, body, c.warmup(), c.concurrency());
    Load warm = load(gatewayUrl, token, body, c.warmup(), c.concurrency());
    log(
        "%s: %d requests straight to the stub, %d at a time",
        c.name(), c.requests(), c.concurrency());
    Load direct = load(stubUrl, null, body, c.requests(), c.concurrency());
    log("%s: %d requests through the gateway", c.name(), c.requests());
    Load through = load(gatewayUrl, token, body, c.requests(), c.concurrency());

    // SIGTERM, as Ctrl-C in `finetune serve`: requests in flight finish, every trace is written.
    gateway.destroy();
    gateway.waitFor();
    String written = firstLine(gateway, name, "written ").split(" ", -1)[1];
    int sent = warm.sent() + through.sent();
    double[] traces = countTraces(db);
    long rows = (long) traces[0];
    int failed = warm.failed() + through.failed() + direct.failed();
    boolean ok = rows == sent && failed == 0;
    log(
        "%s: gateway %.0f req/s, direct %.0f req/s; p50 %.2f ms (direct %.2f), p99 %.2f ms"
            + " (direct %.2f); traces %d in the table (%s written by the writer) for %d sent,"
            + " their provider call's median %.2f ms; %d failed",
        c.name(),
        through.rate(),
        direct.rate(),
        through.p(50),
        direct.p(50),
        through.p(99),
        direct.p(99),
        rows,
        written,
        sent,
        traces[1],
        failed);
    String row =
        String.format(
            Locale.ROOT,
            "| %s | %,d | %d | %.0f (%.0f) | %.1f / %.1f | %.1f / %.1f (%.1f / %.1f) | %,d / %,d%s |",
            c.name(),
            c.requests(),
            c.concurrency(),
            through.rate(),
            direct.rate(),
            through.p(50) - direct.p(50),
            through.p(99) - direct.p(99),
            through.p(50),
            through.p(99),
            direct.p(50),
            direct.p(99),
            rows,
            sent,
            failed == 0 ? "" : " (" + failed + " requests failed)");
    return new String[] {row, ok ? "ok" : "failed"};
  }

  /**
   * Sends {@code n} requests from {@code concurrency} threads, each sending its next one as soon as
   * its last is answered (a closed loop: the rate held is what the path sustains).
   */
  private Load load(String baseUrl, String token, String body, int n, int concurrency)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<Histogram> perThread = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < concurrency; t++) {
      Histogram h = new Histogram(TimeUnit.MINUTES.toMicros(2), 3);
      perThread.add(h);
      threads.add(
          new Thread(
              () -> {
                while (next.getAndIncrement() < n) {
                  Request.Builder r =
                      new Request.Builder()
                          .url(baseUrl + "/chat/completions")
                          .post(RequestBody.create(body, JSON));
                  if (token != null) {
                    r.header("Authorization", "Bearer " + token);
                  }
                  long start = System.nanoTime();
                  try (Response response = http.newCall(r.build()).execute()) {
                    response.body().bytes();
                    if (response.code() != 200) {
                      failed.incrementAndGet();
                    }
                  } catch (IOException e) {
                    failed.incrementAndGet();
                  }
                  h.recordValue(Math.max(1, (System.nanoTime() - start) / 1_000));
                }
              }));
    }
    long start = System.nanoTime();
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Histogram all = new Histogram(TimeUnit.MINUTES.toMicros(2), 3);
    perThread.forEach(all::add);
    return new Load(all, n, failed.get(), seconds);
  }

  /**
   * Rows in the traces table, read after the gateway process is gone, and the median of their
   * latency (the provider call as the gateway timed it: the rest of the added latency is its own).
   */
  private static double[] countTraces(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + db, "sa", "");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT COUNT(*), MEDIAN(latency_ms) FROM traces")) {
      rs.next();
      return new double[] {rs.getLong(1), rs.getDouble(2)};
    }
  }

  /** A JVM on this classpath running {@code main}; its stdout and stderr go to the work dir. */
  private Process start(String name, Class<?> main, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(java, "-cp", classpath, main.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectOutput(work.resolve(name + ".out").toFile())
        .redirectError(work.resolve(name + ".log").toFile())
        .start();
  }

  /**
   * The first line of {@code p}'s stdout that starts with {@code prefix}; fails after 60 s. Read
   * from a file: a pipe read by a thread of ours can lose its last lines when the process exits.
   */
  private String firstLine(Process p, String name, String prefix)
      throws InterruptedException, IOException {
    Path out = work.resolve(name + ".out");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      boolean exited = !p.isAlive();
      for (String line : Files.readAllLines(out)) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      if (exited) {
        break;
      }
      Thread.sleep(20);
    }
    throw new IOException(
        "No '" + prefix.trim() + "' line from " + name + "; see its logs in " + work);
  }

  private static void log(String format, Object... args) {
    System.err.printf(Locale.ROOT, "gateway-load: " + format + "%n", args);
  }
}
