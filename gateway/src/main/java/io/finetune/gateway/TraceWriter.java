package io.finetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes traces to the database off the response path: {@link #record} puts a trace in a bounded
 * queue and returns; one thread takes what has arrived, up to a batch, redacts it and writes it
 * with one JDBC batch insert. A full queue (the database is slow or down) makes {@link #record}
 * wait for room: back-pressure on the callers, never a dropped trace. A failed write is retried
 * with backoff until it succeeds. {@link #close} waits until every recorded trace is written.
 */
public final class TraceWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TraceWriter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String INSERT =
      "INSERT INTO traces (id, created_at, model_name, model_version, provider_model, input,"
          + " output, latency_ms, prompt_tokens, completion_tokens, cost, status)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final long MAX_BACKOFF_MILLIS = 5_000;

  private final DataSource db;
  private final Redactor redactor;
  private final BlockingQueue<Trace> queue;
  private final int batchSize;

  /** Ids recorded but not yet committed, so that feedback on a fresh trace is not refused. */
  private final Set<String> unwritten = ConcurrentHashMap.newKeySet();

  /** Records hold the read side while they enqueue; close takes the write side to stop them. */
  private final ReadWriteLock closing = new ReentrantReadWriteLock();

  private volatile boolean closed;
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong unwritable = new AtomicLong();
  private final Thread drainer;

  /**
   * @param capacity traces that may wait to be written before {@link #record} blocks
   * @param batchSize traces written at most by one insert
   */
  public TraceWriter(DataSource db, Redactor redactor, int capacity, int batchSize) {
    if (capacity < 1 || batchSize < 1) {
      throw new IllegalArgumentException("capacity and batchSize must be at least 1");
    }
    this.db = db;
    this.redactor = redactor;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.batchSize = batchSize;
    this.drainer = new Thread(this::drain, "trace-writer");
    // Daemon, so a forgotten close cannot keep the JVM alive; a clean shutdown calls close.
    drainer.setDaemon(true);
    drainer.start();
  }

  /**
   * Queues {@code trace} to be written; waits for room while the queue is full.
   *
   * @throws IllegalStateException after {@link #close}, or when interrupted while waiting
   */
  public void record(Trace trace) {
    closing.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException(
            "The trace writer is closed: trace " + trace.id() + " was not recorded");
      }
      unwritten.add(trace.id());
      queue.put(trace);
    } catch (InterruptedException e) {
      unwritten.remove(trace.id());
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "Interrupted while waiting for room to record trace " + trace.id(), e);
    } finally {
      closing.readLock().unlock();
    }
  }

  /** Whether a trace with this id was recorded: still queued, or in the database. */
  public boolean exists(String traceId) {
    // Queued first: a trace leaves this set only once committed, so it is always in one place.
    if (unwritten.contains(traceId)) {
      return true;
    }
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT 1 FROM traces WHERE id = ?")) {
      s.setString(1, traceId);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the traces: " + e.getMessage(), e);
    }
  }

  /** Traces written so far. */
  public long written() {
    return written.get();
  }

  /** Traces recorded and not yet written. */
  public int pending() {
    return unwritten.size();
  }

  /** Stops taking traces and returns once every trace recorded before is written. */
  @Override
  public void close() {
    closing.writeLock().lock();
    try {
      closed = true;
    } finally {
      closing.writeLock().unlock();
    }
    boolean interrupted = false;
    while (drainer.isAlive()) {
      try {
        drainer.join();
      } catch (InterruptedException e) {
        interrupted = true; // keep waiting: what is queued must still be written
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (unwritable.get() > 0) {
      log.error("{} traces could not be stored (see the errors above)", unwritable.get());
    }
  }

  private void drain() {
    List<Trace> batch = new ArrayList<>(batchSize);
    while (true) {
      Trace first;
      try {
        first = queue.poll(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        continue; // only close stops this thread, once the queue is empty
      }
      if (first == null) {
        if (closed && queue.isEmpty()) {
          return; // closed holds no record in progress, so nothing can arrive any more
        }
        continue;
      }
      batch.add(first);
      queue.drainTo(batch, batchSize - 1);
      writeUntilDone(batch);
      batch.clear();
    }
  }

  /** Writes the batch, retrying until the database takes it; row by row after a failure. */
  private void writeUntilDone(List<Trace> batch) {
    List<Object[]> rows = new ArrayList<>(batch.size());
    for (Trace t : batch) {
      try {
        rows.add(row(t)); // redacted here, once: the unredacted text never reaches the database
      } catch (RuntimeException e) {
        unwritable.incrementAndGet();
        log.error("Trace {} cannot be redacted and is not stored: {}", t.id(), e.toString());
      }
    }
    long backoff = 100;
    for (int attempt = 1; ; attempt++) {
      try {
        if (attempt == 1) {
          insertBatch(rows);
        } else {
          insertOneByOne(rows); // after a failure: skips rows a lost commit already wrote
        }
        break;
      } catch (SQLException | RuntimeException e) {
        log.warn(
            "Cannot write {} traces yet (attempt {}, next in {} ms): {}",
            rows.size(),
            attempt,
            backoff,
            e.getMessage());
        sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
      }
    }
    written.addAndGet(batch.size());
    batch.forEach(t -> unwritten.remove(t.id()));
  }

  private void insertBatch(List<Object[]> rows) throws SQLException {
    try (Connection c = db.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement s = c.prepareStatement(INSERT)) {
        for (Object[] row : rows) {
          bind(s, row);
          s.addBatch();
        }
        s.executeBatch();
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private void insertOneByOne(List<Object[]> rows) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement s = c.prepareStatement(INSERT)) {
      c.setAutoCommit(true);
      for (Object[] row : rows) {
        bind(s, row);
        try {
          s.executeUpdate();
        } catch (SQLException e) {
          String state = e.getSQLState() == null ? "" : e.getSQLState();
          if (state.equals("23505")) {
            continue; // written before: a commit whose answer was lost
          }
          if (state.startsWith("22") || state.startsWith("23")) {
            // This row can never be written (bad data); retrying would block every caller.
            unwritable.incrementAndGet();
            log.error("Trace {} cannot be stored and is skipped: {}", row[0], e.getMessage());
            continue;
          }
          throw e;
        }
      }
    }
  }

  private Object[] row(Trace t) {
    return row(t, redactor);
  }

  /** A trace as the row {@link #INSERT} takes, redacted: also what ingested traces become. */
  static Object[] row(Trace t, Redactor redactor) {
    String input;
    try {
      input = JSON.writeValueAsString(redactor.redact(t.input()));
    } catch (JsonProcessingException e) {
      input = "null"; // a JsonNode always serializes; kept total for the writer thread
    }
    return new Object[] {
      t.id(),
      t.createdAtMillis(),
      t.modelName(),
      t.modelVersion(),
      clip(t.providerModel(), 512),
      input,
      redactor.redact(t.output()),
      t.latencyMillis(),
      t.promptTokens(),
      t.completionTokens(),
      t.cost(),
      t.status()
    };
  }

  static void bind(PreparedStatement s, Object[] row) throws SQLException {
    s.setString(1, (String) row[0]);
    s.setLong(2, (Long) row[1]);
    s.setString(3, (String) row[2]);
    s.setInt(4, (Integer) row[3]);
    s.setString(5, (String) row[4]);
    s.setString(6, (String) row[5]);
    s.setString(7, (String) row[6]);
    s.setDouble(8, (Double) row[7]);
    setLong(s, 9, (Long) row[8]);
    setLong(s, 10, (Long) row[9]);
    if (row[10] == null) {
      s.setNull(11, Types.DOUBLE);
    } else {
      s.setDouble(11, (Double) row[10]);
    }
    s.setString(12, (String) row[11]);
  }

  private static void setLong(PreparedStatement s, int i, Long v) throws SQLException {
    if (v == null) {
      s.setNull(i, Types.BIGINT);
    } else {
      s.setLong(i, v);
    }
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      // only close stops this thread, and only once everything is written
    }
  }
}
