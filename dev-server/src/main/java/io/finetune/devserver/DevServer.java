package io.finetune.devserver;

import java.util.Optional;

/**
 * A Temporal server for one machine, listening on 127.0.0.1 only: the Temporal CLI's dev server
 * (the real server: persistence, Schedules, visibility queries, the Web UI) when the CLI is
 * installed, else the SDK's in-memory test server.
 */
public interface DevServer extends AutoCloseable {

  /** Where clients and workers connect: {@code 127.0.0.1:<port>}. */
  String target();

  /** The Web UI's address, if this server has one. */
  Optional<String> webUi();

  /** One line for people: which server this is and where it keeps its state. */
  String description();

  /** Stops the server (and its process, if it has one). */
  @Override
  void close();
}
