#include "daemon/pg/connection.h"

#include <charconv>
#include <cstdlib>
#include <exception>
#include <map>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/pg/host_addresses.h"
#include "daemon/pg/resolver.h"

namespace partitiond::pg {
namespace {

// libpq's messages span lines ("...\n\tIs the server running...?"); one log event is one line.
std::string TrimmedMessage(const char* message) {
  std::string text;
  for (const char* c = message ? message : ""; *c != '\0'; ++c) {
    const bool space = *c == '\n' || *c == '\t' || *c == '\r' || *c == ' ';
    if (space && (text.empty() || text.back() == ' ')) continue;
    text += space ? ' ' : *c;
  }
  if (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Server notices (e.g. "... does not exist, skipping") go to the log at debug level, not to
// stderr, where they would break JSON log lines.
void LogNotice(void*, const char* message) {
  spdlog::debug("postgres: {}", TrimmedMessage(message));
}

// Installs LogNotice; returns `conn` for chaining.
PGconn* WithNoticeLogging(PGconn* conn) {
  if (conn != nullptr) PQsetNoticeProcessor(conn, &LogNotice, nullptr);
  return conn;
}

// Keepalives make a vanished server show up as an error instead of a hang; connect_timeout
// covers the blocking connect (the async one enforces its own deadline). `resolved`, when given,
// replaces the conninfo's host list with names and the addresses already found for them: the keys
// after the expanded conninfo override its values.
PGconn* StartConnect(const std::string& conninfo, const SessionOptions& options, bool blocking,
                     const std::optional<ConnectLists>& resolved = std::nullopt) {
  const std::string timeout =
      std::to_string(std::max<long long>(1, options.connect_timeout.count() / 1000));
  std::vector<const char*> keys = {"dbname",          "application_name",    "keepalives",
                                   "keepalives_idle", "keepalives_interval", "keepalives_count",
                                   "connect_timeout"};
  std::vector<const char*> values = {
      conninfo.c_str(), options.application_name.c_str(), "1", "30", "10", "3", timeout.c_str()};
  if (resolved) {
    keys.insert(keys.end(), {"host", "hostaddr"});
    values.insert(values.end(), {resolved->host.c_str(), resolved->hostaddr.c_str()});
    if (!resolved->port.empty()) {
      keys.push_back("port");
      values.push_back(resolved->port.c_str());
    }
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return WithNoticeLogging(blocking
                               ? PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1)
                               : PQconnectStartParams(keys.data(), values.data(),
                                                      /*expand_dbname=*/1));
}

// The host names of `conninfo`, resolved off the loop by `deadline`; nullopt when libpq has none
// to resolve.
asio::awaitable<std::optional<ConnectLists>> ResolveHosts(
    const std::string& conninfo, std::chrono::steady_clock::time_point deadline) {
  const std::optional<HostTargets> targets = HostsToResolve(
      conninfo, std::getenv("PGHOST"), std::getenv("PGHOSTADDR"), std::getenv("PGSERVICE"));
  if (!targets) co_return std::nullopt;
  std::map<std::string, std::vector<std::string>> addresses;
  for (const auto& host : targets->hosts) {
    if (!IsHostName(host) || addresses.contains(host)) continue;
    std::vector<std::string> found = co_await ResolveHostName(host, deadline);
    addresses.emplace(host, std::move(found));
  }
  co_return WithAddresses(*targets, addresses);
}

std::vector<const char*> ParamPointers(const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

bool Failed(const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  return status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY;
}

}  // namespace

std::string_view Result::Get(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<size_t>(PQgetlength(result_.get(), row, column))};
}

std::optional<std::string> Result::GetOptional(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return std::string(Get(row, column));
}

long long Result::GetInt(int row, int column) const {
  const std::string_view text = Get(row, column);
  long long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

long long Result::CommandRows() const {
  const std::string_view text = PQcmdTuples(result_.get());
  long long rows = 0;
  std::from_chars(text.data(), text.data() + text.size(), rows);
  return rows;
}

double Result::GetDouble(int row, int column) const {
  return std::strtod(std::string(Get(row, column)).c_str(), nullptr);
}

std::string Connection::SetupSql(const SessionOptions& options) {
  // jit off: the catalog query's cost estimate passes jit_above_cost at a few thousand tables, and
  // compiling it takes longer than running it; the daemon's other statements are too short to gain.
  // client_encoding UTF8: names and messages from a database in another encoding (LATIN1, ...)
  // arrive converted, so logs, JSON and metrics stay UTF-8, and names from the config (UTF-8)
  // reach the server as the characters they spell.
  std::string setup =
      "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET IntervalStyle = postgres; SET jit = off; "
      "SET client_encoding = 'UTF8';";
  if (options.statement_timeout.count() > 0) {
    setup += " SET statement_timeout = '" + ToPgDuration(options.statement_timeout) + "';";
  }
  if (options.lock_timeout.count() > 0) {
    setup += " SET lock_timeout = '" + ToPgDuration(options.lock_timeout) + "';";
  }
  return setup;
}

Connection Connection::Open(const std::string& conninfo, const SessionOptions& options) {
  Connection conn(StartConnect(conninfo, options, /*blocking=*/true));
  if (!conn.conn_) throw Error("out of memory allocating a libpq connection", "08000");
  if (PQstatus(conn.conn_.get()) != CONNECTION_OK) {
    throw Error(TrimmedMessage(PQerrorMessage(conn.conn_.get())), "08001");
  }
  conn.Exec(SetupSql(options));
  return conn;
}

asio::awaitable<Connection> Connection::AsyncOpen(const std::string& conninfo,
                                                  const SessionOptions& options) {
  // libpq's connect_timeout applies only to the blocking connect; here the loop keeps the time,
  // for the name lookup and the connection together.
  const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  const std::optional<ConnectLists> resolved = co_await ResolveHosts(conninfo, deadline);
  Connection conn(StartConnect(conninfo, options, /*blocking=*/false, resolved));
  if (!conn.conn_) throw Error("out of memory allocating a libpq connection", "08000");
  for (PostgresPollingStatusType poll = PGRES_POLLING_WRITING; poll != PGRES_POLLING_OK;) {
    if (PQstatus(conn.conn_.get()) == CONNECTION_BAD || poll == PGRES_POLLING_FAILED) {
      throw Error(TrimmedMessage(PQerrorMessage(conn.conn_.get())), "08001");
    }
    const bool ready =
        co_await conn.WaitSocket(/*for_write=*/poll == PGRES_POLLING_WRITING, deadline);
    if (!ready) {
      throw Error("timeout expired while connecting", "08001");
    }
    poll = PQconnectPoll(conn.conn_.get());
  }
  if (PQsetnonblocking(conn.conn_.get(), 1) != 0) {
    throw Error(TrimmedMessage(PQerrorMessage(conn.conn_.get())), "08000");
  }
  // Connected: the socket stays the same from now on.
  const auto executor = co_await asio::this_coro::executor;
  conn.socket_context_ = &asio::query(executor, asio::execution::context);
  conn.socket_.reset(new asio::posix::stream_descriptor(executor, PQsocket(conn.conn_.get())));
  co_await conn.AsyncExec(SetupSql(options));
  co_return conn;
}

void Connection::ReleaseDescriptor::operator()(asio::posix::stream_descriptor* socket) const {
  socket->release();
  delete socket;
}

asio::awaitable<bool> Connection::WaitSocket(
    bool for_write, std::optional<std::chrono::steady_clock::time_point> deadline) {
  const int fd = PQsocket(conn_.get());
  if (fd < 0) throw Error("connection has no socket", "08006");
  const auto executor = co_await asio::this_coro::executor;
  // The registered socket when there is one for this fd and this loop (asio's async_wait re-arms
  // it with EPOLL_CTL_MOD, which reports data that arrived before the wait). Otherwise a fresh
  // descriptor for this wait: libpq may switch sockets while connecting, and the descriptor must
  // never close libpq's fd, hence release() afterwards.
  std::optional<asio::posix::stream_descriptor> transient;
  asio::posix::stream_descriptor* socket = socket_.get();
  if (socket == nullptr || socket->native_handle() != fd ||
      &asio::query(executor, asio::execution::context) != socket_context_) {
    socket = &transient.emplace(executor, fd);
  }
  // The deadline handler may run after this frame resumed (its completion was already queued);
  // it reaches the socket only through this shared slot, emptied before the wait ends.
  auto waiting = std::make_shared<asio::posix::stream_descriptor*>(socket);
  bool expired = false;
  std::optional<asio::steady_timer> timer;
  if (deadline) {
    timer.emplace(executor, *deadline);
    timer->async_wait([waiting, &expired](const boost::system::error_code& ec) {
      if (ec || *waiting == nullptr) return;
      expired = true;
      (*waiting)->cancel();
    });
  }
  boost::system::error_code ec;
  co_await socket->async_wait(for_write ? asio::posix::stream_descriptor::wait_write
                                        : asio::posix::stream_descriptor::wait_read,
                              asio::redirect_error(asio::use_awaitable, ec));
  *waiting = nullptr;
  if (timer) timer->cancel();
  if (transient) transient->release();
  co_return !expired;
}

asio::awaitable<Result> Connection::AsyncExec(std::string sql, Params params) {
  if (params.empty()) {
    co_await Send(sql);
  } else {
    Queue({.sql = sql, .params = std::move(params)});
    co_await FlushOutgoing();
  }
  co_return co_await CollectResults(sql);
}

asio::awaitable<void> Connection::AsyncPrepare(const std::string& name, const std::string& sql) {
  if (prepared_.contains(name)) co_return;
  if (!PQsendPrepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr)) throw LibpqError();
  co_await FlushOutgoing();
  co_await CollectResults(sql);
  prepared_.insert(name);
}

asio::awaitable<Result> Connection::AsyncExecPrepared(const std::string& name, Params params) {
  Queue({.sql = name, .params = std::move(params), .prepared = true});
  co_await FlushOutgoing();
  co_return co_await CollectResults("EXECUTE " + name);
}

asio::awaitable<Result> Connection::AsyncExecPipeline(std::vector<PipelinedStatement> statements) {
  if (statements.empty()) throw std::logic_error("AsyncExecPipeline: no statements");
  PGconn* conn = conn_.get();
  if (!PQenterPipelineMode(conn)) throw LibpqError();
  for (const auto& statement : statements) Queue(statement);
  if (!PQpipelineSync(conn)) throw LibpqError();
  co_await FlushOutgoing();
  // Each statement's results end with a null result; one the server skipped after a failure
  // yields PGRES_PIPELINE_ABORTED instead. The Sync's own result comes last.
  std::optional<Result> last;
  std::optional<Error> failure;
  for (const auto& statement : statements) {
    PGresult* first = co_await NextResult();
    if (first == nullptr) throw LibpqError();
    if (PQresultStatus(first) == PGRES_PIPELINE_ABORTED) {
      PQclear(first);
      PGresult* end = co_await NextResult();
      PQclear(end);
      continue;
    }
    try {
      Result result = co_await CollectResults(statement.sql, first);
      last.emplace(std::move(result));
    } catch (const Error& e) {
      if (e.sqlstate().empty()) throw;  // the connection broke: nothing more will come
      failure = e;
    }
  }
  PGresult* sync = co_await NextResult();
  const bool synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || !PQexitPipelineMode(conn)) throw LibpqError();
  if (!failure) co_return std::move(*last);
  if (PQtransactionStatus(conn) != PQTRANS_IDLE) co_await RollBackQuietly();
  throw *failure;
}

asio::awaitable<void> Connection::AsyncSendUnawaited(
    std::vector<std::vector<PipelinedStatement>> segments) {
  PGconn* conn = conn_.get();
  if (!PQenterPipelineMode(conn)) throw LibpqError();
  for (const auto& segment : segments) {
    for (const auto& statement : segment) Queue(statement);
    if (!PQpipelineSync(conn)) throw LibpqError();
  }
  co_await FlushOutgoing();
}

asio::awaitable<void> Connection::RollBackQuietly() {
  try {
    co_await AsyncExec("ROLLBACK");
  } catch (const Error&) {
  }
}

void Connection::Queue(const PipelinedStatement& statement) {
  const auto values = ParamPointers(statement.params);
  const int count = static_cast<int>(values.size());
  const int sent = statement.prepared
                       ? PQsendQueryPrepared(conn_.get(), statement.sql.c_str(), count,
                                             values.data(), nullptr, nullptr, 0)
                       : PQsendQueryParams(conn_.get(), statement.sql.c_str(), count, nullptr,
                                           values.data(), nullptr, nullptr, 0);
  if (!sent) throw LibpqError();
}

asio::awaitable<void> Connection::Send(const std::string& sql) {
  if (!PQsendQuery(conn_.get(), sql.c_str())) throw LibpqError();
  co_await FlushOutgoing();
}

Error Connection::LibpqError() const {
  return Error(TrimmedMessage(PQerrorMessage(conn_.get())), "");
}

asio::awaitable<void> Connection::FlushOutgoing() {
  for (int flushed; (flushed = PQflush(conn_.get())) != 0;) {
    if (flushed < 0) throw Error(TrimmedMessage(PQerrorMessage(conn_.get())), "");
    co_await WaitSocket(/*for_write=*/true);
  }
}

asio::awaitable<PGresult*> Connection::NextResult() {
  PGconn* conn = conn_.get();
  // Reads the socket only after it became readable: results already buffered (a transaction's
  // several statements) cost no system call, and a query just sent no failed recv().
  for (;;) {
    if (!PQisBusy(conn)) co_return PQgetResult(conn);
    co_await WaitSocket(/*for_write=*/false);
    if (!PQconsumeInput(conn)) throw Error(TrimmedMessage(PQerrorMessage(conn)), "");
  }
}

asio::awaitable<Result> Connection::CollectResults(const std::string& sql, PGresult* first) {
  PGresult* last = nullptr;
  PGresult* first_error = nullptr;
  auto keep = [&](PGresult* result) {
    if (Failed(result) && first_error == nullptr) {
      first_error = result;
    } else {
      PQclear(last);
      last = result;
    }
  };
  if (first != nullptr) keep(first);
  try {
    for (;;) {
      PGresult* result = co_await NextResult();
      if (result == nullptr) break;
      keep(result);
    }
  } catch (const Error&) {
    PQclear(last);
    PQclear(first_error);
    throw;
  }
  co_return Check(last, first_error, sql);
}

Result Connection::Exec(const std::string& sql, const Params& params) {
  if (params.empty()) {
    // PQexec keeps only the last result of a multi-statement string, which is the error if any.
    PGresult* result = PQexec(conn_.get(), sql.c_str());
    if (result != nullptr && Failed(result)) return Check(nullptr, result, sql);
    return Check(result, nullptr, sql);
  }
  const auto values = ParamPointers(params);
  PGresult* result = PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                  nullptr, values.data(), nullptr, nullptr, 0);
  if (result != nullptr && Failed(result)) return Check(nullptr, result, sql);
  return Check(result, nullptr, sql);
}

Result Connection::Check(PGresult* last, PGresult* first_error, const std::string& sql) {
  if (first_error == nullptr && last != nullptr) return Result(last);
  PQclear(last);
  Result error(first_error);
  const char* state = first_error ? PQresultErrorField(first_error, PG_DIAG_SQLSTATE) : nullptr;
  // The primary message (and detail) without libpq's "ERROR:  " prefix and LINE/caret context.
  auto field = [&](int code) {
    return TrimmedMessage(first_error ? PQresultErrorField(first_error, code) : nullptr);
  };
  std::string message =
      ServerErrorText(state ? state : "", field(PG_DIAG_MESSAGE_PRIMARY),
                      field(PG_DIAG_MESSAGE_DETAIL), field(PG_DIAG_CONSTRAINT_NAME));
  if (message.empty()) message = TrimmedMessage(PQerrorMessage(conn_.get()));
  if (message.empty()) message = "query failed: " + sql.substr(0, 80);
  throw Error(message, state ? state : "");
}

void Connection::Cancel() {
  PGcancel* cancel = PQgetCancel(conn_.get());
  if (cancel == nullptr) return;
  // PQcancel opens a new connection and waits for the server: a stuck server must not stall the
  // loop, so it runs on a thread of its own, which owns the PGcancel.
  std::thread([cancel] {
    char error[256];
    PQcancel(cancel, error, sizeof error);
    PQfreeCancel(cancel);
  }).detach();
}

std::string Connection::QuoteIdentifier(std::string_view name) {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(
      PQescapeIdentifier(conn_.get(), name.data(), name.size()), &PQfreemem);
  if (!quoted) throw Error(TrimmedMessage(PQerrorMessage(conn_.get())), "22021");
  return quoted.get();
}

std::string Connection::QuoteLiteral(std::string_view value) {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted(
      PQescapeLiteral(conn_.get(), value.data(), value.size()), &PQfreemem);
  if (!quoted) throw Error(TrimmedMessage(PQerrorMessage(conn_.get())), "22021");
  return quoted.get();
}

std::string Connection::QuoteQualified(std::string_view schema, std::string_view name) {
  return QuoteIdentifier(schema) + "." + QuoteIdentifier(name);
}

asio::awaitable<void> RollBackOnError(Connection& conn,
                                      std::function<asio::awaitable<void>()> body) {
  std::exception_ptr failure;
  try {
    co_await body();
    co_return;
  } catch (...) {
    failure = std::current_exception();
  }
  // A failed statement leaves the block open and aborted, and any other exception (a file error
  // in an archive, say) may leave it open; close it so the session is reusable.
  if (conn.IsOk()) co_await conn.RollBackQuietly();
  std::rethrow_exception(failure);
}

asio::awaitable<void> RunTransaction(Connection& conn, std::string body) {
  const std::string sql = fmt::format("BEGIN;\n{}\nCOMMIT;", body);
  // The lambda lives in RollBackOnError's frame until it completes; conn and sql outlive that.
  co_await RollBackOnError(
      conn, [&conn, &sql]() -> asio::awaitable<void> { co_await conn.AsyncExec(sql); });
}

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    out += i == 0 ? "\"" : ",\"";
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string ToPgDuration(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + "ms";
}

}  // namespace partitiond::pg
