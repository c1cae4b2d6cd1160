// RAII holders for libpq handles, with queries driven asynchronously by the event loop.
//
// A Connection owns one PGconn; it is movable, not copyable, and not thread-safe: use it from one
// coroutine at a time on one io_context. One opened with AsyncOpen keeps its socket registered
// with the io_context that opened it, which must outlive it. AsyncExec never blocks the loop: libpq
// runs in non-blocking mode and the loop waits on the connection's socket, so a slow or hung server
// stalls only the coroutine that talks to it. The blocking Exec is for tests and tools outside the
// loop. Every failed query throws pg::Error carrying the server's SQLSTATE (empty when the
// connection itself broke). Session settings that make catalog output parseable (DateStyle ISO,
// TimeZone UTC), statement_timeout and TCP keepalives are applied at connect time.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/common/asio.h"
#include "daemon/pg/error.h"

namespace partitiond::pg {

class Result {
 public:
  explicit Result(PGresult* result) : result_(result, &PQclear) {}

  int rows() const { return PQntuples(result_.get()); }
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  std::string_view Get(int row, int column) const;
  std::optional<std::string> GetOptional(int row, int column) const;
  bool GetBool(int row, int column) const { return Get(row, column) == "t"; }
  long long GetInt(int row, int column) const;
  double GetDouble(int row, int column) const;
  // Rows affected, as in the command tag ("COPY 42" -> 42); 0 when the command reports none.
  long long CommandRows() const;
  // A result column's type OID and type modifier (-1: none), as the server described it.
  unsigned ColumnType(int column) const { return PQftype(result_.get(), column); }
  int ColumnTypmod(int column) const { return PQfmod(result_.get(), column); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

struct SessionOptions {
  std::string application_name = "partitiond";
  std::chrono::milliseconds statement_timeout{0};  // 0: server default
  // Session-wide backstop so that no statement (audit inserts, DETACH ... CONCURRENTLY, ...) waits
  // on a lock longer than this; DDL steps also SET LOCAL it explicitly. 0: server default.
  std::chrono::milliseconds lock_timeout{0};
  std::chrono::milliseconds connect_timeout{10'000};
};

using Params = std::vector<std::optional<std::string>>;

// One statement of a pipeline: `sql` with text parameters $1..$n, or, when `prepared`, the name
// of a statement AsyncPrepare made, run with `params`.
struct PipelinedStatement {
  std::string sql;
  Params params = {};
  bool prepared = false;
};

class Connection {
 public:
  // Connects without blocking the loop, or throws pg::Error (class kConnection).
  // GCC 12 destroys twice a temporary made from a braced initializer for a coroutine's reference
  // parameter (tests/gcc/coro_braced_reference_argument.cc), so callers pass named objects; they
  // must outlive the co_await.
  static asio::awaitable<Connection> AsyncOpen(const std::string& conninfo,
                                               const SessionOptions& options);
  // Blocking connect, for tests and tools.
  static Connection Open(const std::string& conninfo, const SessionOptions& options);

  // Runs `sql`; with no params through the simple query protocol (several statements allowed,
  // run as one implicit transaction unless they manage their own), else as one statement with
  // text parameters $1..$n (nullopt is SQL NULL). Returns the last statement's result.
  asio::awaitable<Result> AsyncExec(std::string sql, Params params = {});
  Result Exec(const std::string& sql, const Params& params = {});

  // Prepares `sql` (one statement with parameters $1..$n) as the named statement `name` in this
  // session, once: a later call with the same name returns at once. A prepared statement is
  // planned once, not on every run (the executor's per-partition catalog checks cost more to plan
  // than to run), and can also be run inside a multi-statement query as EXECUTE name(...).
  asio::awaitable<void> AsyncPrepare(const std::string& name, const std::string& sql);
  // Runs the statement AsyncPrepare made, with text parameters (nullopt is SQL NULL).
  asio::awaitable<Result> AsyncExecPrepared(const std::string& name, Params params);

  // Sends `statements` in one round trip (libpq pipeline mode, ended by one Sync) and returns the
  // last one's result. Each is one statement (extended protocol: no multi-statement strings);
  // there must be at least one.
  // Statements not inside BEGIN ... COMMIT share one implicit transaction up to the Sync; one that
  // refuses a transaction block (DETACH ... CONCURRENTLY) may still follow a COMMIT. After the
  // first failure the server skips the rest: that failure is thrown, once a transaction block it
  // left open has been rolled back, so the connection is left outside a transaction block.
  asio::awaitable<Result> AsyncExecPipeline(std::vector<PipelinedStatement> statements);

  // Sends `segments` in pipeline mode, each ended by a Sync of its own (so that a failure in one
  // does not make the server skip the next), and returns once they are on the wire, without
  // waiting for any result: for work the server carries out by itself, whatever becomes of this
  // process. Afterwards the connection is only good for destruction.
  asio::awaitable<void> AsyncSendUnawaited(std::vector<std::vector<PipelinedStatement>> segments);

  // COPY ... TO STDOUT, streamed: each chunk of data (one or more whole rows) goes to `sink` as
  // it arrives, so memory stays constant whatever the size; the socket is read only as fast as
  // `sink` consumes. Returns the row count the server reports. If `sink` throws, the COPY is
  // cancelled, its end is awaited (the transaction, if any, is then aborted) and the sink's
  // exception is rethrown. Yields to the loop every few MiB so other coroutines keep running;
  // `pace`, when given, is awaited there instead of a plain yield (it must not throw): a sink
  // that hands the data on to another thread waits in it while that thread is behind.
  asio::awaitable<long long> AsyncCopyOut(std::string sql,
                                          std::function<void(std::string_view)> sink,
                                          std::function<asio::awaitable<void>()> pace = {});
  // COPY ... FROM STDIN, streamed: `source` fills its argument with the next chunk and returns
  // false at the end. If `source` throws, the COPY is ended with an error (nothing is loaded)
  // and the exception is rethrown. Returns the row count the server reports.
  asio::awaitable<long long> AsyncCopyIn(std::string sql, std::function<bool(std::string&)> source);

  // Sends ROLLBACK, ignoring its failure: ends a transaction block that a failure left open (or
  // aborted) so the session is reusable. Best effort; a broken connection stays broken.
  asio::awaitable<void> RollBackQuietly();

  // Asks the server to cancel the statement in flight; it then fails with SQLSTATE 57014.
  // Safe to call from another coroutine on the loop while AsyncExec is waiting; never blocks (the
  // request is sent from a detached thread).
  void Cancel();

  // Quoting for the rare places parameters cannot go (DDL). Both use the connection's encoding.
  std::string QuoteIdentifier(std::string_view name);
  std::string QuoteLiteral(std::string_view value);
  // "schema"."name", each part quoted.
  std::string QuoteQualified(std::string_view schema, std::string_view name);

  bool IsOk() const { return PQstatus(conn_.get()) == CONNECTION_OK; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn, &PQfinish) {}
  static std::string SetupSql(const SessionOptions& options);
  // Sends a COPY statement and waits for the server to enter the `expected` COPY state
  // (PGRES_COPY_OUT or PGRES_COPY_IN); a failing or non-COPY statement throws pg::Error.
  asio::awaitable<void> StartCopy(const std::string& sql, ExecStatusType expected);
  // After the COPY data ended: collects the COPY's result and returns its row count. If
  // `callback_failure` is set (the sink or source threw) it is rethrown in preference to the
  // server's error, which it caused.
  asio::awaitable<long long> FinishCopy(const std::string& sql,
                                        std::exception_ptr callback_failure);
  // Queues one statement (extended protocol) in libpq's output buffer, without flushing it.
  void Queue(const PipelinedStatement& statement);
  // Sends `sql` (no parameters) and flushes it to the server.
  asio::awaitable<void> Send(const std::string& sql);
  // The connection's current libpq error message as an Error without SQLSTATE (a broken
  // connection).
  Error LibpqError() const;
  // Flushes what libpq has queued for the server, waiting for the socket as needed.
  asio::awaitable<void> FlushOutgoing();
  // Waits until libpq has the next result; returns it (owned by the caller) or null when the
  // query is complete.
  asio::awaitable<PGresult*> NextResult();
  // Reads results until the query is complete; the last one, or the first error, thrown.
  asio::awaitable<Result> CollectResults(const std::string& sql, PGresult* first = nullptr);
  // Turns a finished query's results into a Result or a thrown pg::Error.
  Result Check(PGresult* last, PGresult* first_error, const std::string& sql);
  // Waits until the socket is readable (or writable); false if `deadline` passed first.
  asio::awaitable<bool> WaitSocket(
      bool for_write, std::optional<std::chrono::steady_clock::time_point> deadline = {});

  // Gives the descriptor's fd back to libpq (which closes it) instead of closing it.
  struct ReleaseDescriptor {
    void operator()(asio::posix::stream_descriptor* socket) const;
  };

  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
  std::set<std::string> prepared_;  // statement names AsyncPrepare made in this session
  // After AsyncOpen: the socket, registered with the loop that opened the connection for the
  // connection's life, so a wait costs one epoll_ctl instead of registering it anew (three and an
  // ioctl, per round trip). Declared after conn_: released before PQfinish closes the fd.
  std::unique_ptr<asio::posix::stream_descriptor, ReleaseDescriptor> socket_;
  asio::execution_context* socket_context_ = nullptr;  // the loop socket_ is registered with
};

// Awaits `body()`, which opens a transaction block on `conn` and is expected to end it. If it
// throws anything, the block may have been left open (and aborted, after a failed statement):
// ROLLBACK is sent (when the connection is still up; its own failure is ignored) and the exception
// rethrown as it was, so the connection is left outside a transaction block. `body` is kept alive
// until it completes; what it references must outlive the co_await.
asio::awaitable<void> RollBackOnError(Connection& conn,
                                      std::function<asio::awaitable<void>()> body);

// Runs `body` (one or more statements) as a single transaction in one round trip:
// BEGIN; body; COMMIT, under RollBackOnError.
asio::awaitable<void> RunTransaction(Connection& conn, std::string body);

// A PostgreSQL text[] literal ({"a","b"}) for passing a list as one parameter ($1::text[]).
std::string TextArrayLiteral(const std::vector<std::string>& values);

// "250ms" for SET lock_timeout / statement_timeout.
std::string ToPgDuration(std::chrono::milliseconds duration);

}  // namespace partitiond::pg
