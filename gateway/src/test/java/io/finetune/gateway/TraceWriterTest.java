package io.finetune.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class TraceWriterTest {
  private static final JsonNode INPUT =
      GatewayFixture.JSON
          .createArrayNode()
          .add(GatewayFixture.JSON.createObjectNode().put("role", "user").put("content", "hi"));

  static Trace trace(String id) {
    return trace(id, INPUT, "ok");
  }

  static Trace trace(String id, JsonNode input, String output) {
    return new Trace(
        id,
        System.currentTimeMillis(),
        "ticket-triage",
        1,
        "ft:local-small:t:1",
        input,
        output,
        5.5,
        10L,
        2L,
        null,
        Trace.OK);
  }

  static int count(DataSource db) throws SQLException {
    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM traces")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /**
   * {@code db} whose connections wait for {@code gate} (a slow database), or fail while {@code
   * down} is set.
   */
  static DataSource slow(DataSource db, CountDownLatch gate, AtomicBoolean down) {
    return (DataSource)
        Proxy.newProxyInstance(
            DataSource.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getConnection")) {
                gate.await();
                if (down.get()) {
                  throw new SQLTransientConnectionException("database is down", "08001");
                }
              }
              try {
                return method.invoke(db, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  @Test
  void closeWritesEveryRecordedTrace() throws Exception {
    DataSource db = GatewayFixture.migratedH2();
    TraceWriter writer = new TraceWriter(db, new Redactor(), 10_000, 100);
    for (int i = 0; i < 1_000; i++) {
      writer.record(trace("t-" + i));
    }
    writer.close();

    assertEquals(1_000, count(db));
    assertEquals(1_000, writer.written());
    assertEquals(0, writer.pending());
    assertThrows(IllegalStateException.class, () -> writer.record(trace("late")));
  }

  @Test
  void aFullQueueMakesRecordWaitInsteadOfDropping() throws Exception {
    DataSource db = GatewayFixture.migratedH2();
    CountDownLatch gate = new CountDownLatch(1);
    TraceWriter writer = new TraceWriter(slow(db, gate, new AtomicBoolean()), new Redactor(), 2, 1);
    AtomicInteger recorded = new AtomicInteger();
    Thread caller =
        new Thread(
            () -> {
              for (int i = 0; i < 10; i++) {
                writer.record(trace("t-" + i));
                recorded.incrementAndGet();
              }
            });
    caller.start();

    // The writer holds one trace (waiting for the database), the queue two: the fourth waits.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (caller.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    Thread.sleep(200);
    assertTrue(caller.isAlive(), "record waits while the queue is full");
    assertEquals(3, recorded.get(), "one being written and two queued; the next one waits");
    assertEquals(0, count(db));

    gate.countDown();
    caller.join(10_000);
    assertFalse(caller.isAlive());
    writer.close();
    assertEquals(10, count(db), "nothing dropped");
  }

  @Test
  void aDatabaseOutageIsRiddenOutAndNothingIsLost() throws Exception {
    DataSource db = GatewayFixture.migratedH2();
    AtomicBoolean down = new AtomicBoolean(true);
    TraceWriter writer =
        new TraceWriter(slow(db, new CountDownLatch(0), down), new Redactor(), 100, 10);
    for (int i = 0; i < 25; i++) {
      writer.record(trace("t-" + i));
    }
    Thread.sleep(300); // a few failed attempts
    assertEquals(0, count(db));
    assertTrue(writer.exists("t-3"), "a trace waiting to be written is known");
    down.set(false);
    writer.close();
    assertEquals(25, count(db));
    assertTrue(writer.exists("t-24"));
    assertFalse(writer.exists("t-99"));
  }

  @Test
  void whatIsWrittenIsRedacted() throws Exception {
    DataSource db = GatewayFixture.migratedH2();
    TraceWriter writer = new TraceWriter(db, new Redactor(), 10, 10);
    JsonNode input =
        GatewayFixture.JSON.readTree(
            "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"I am a@b.io\"}]}]");
    writer.record(trace("t-1", input, "Call 555-867-5309"));
    writer.close();

    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery("SELECT input, output FROM traces")) {
      rs.next();
      assertEquals(
          "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"I am [email]\"}]}]",
          rs.getString("input"));
      assertEquals("Call [phone]", rs.getString("output"));
    }
  }
}
