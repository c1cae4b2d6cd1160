// COPY streaming for pg::Connection (declared in connection.h): archives and restores move
// partitions of any size through constant memory.
#include <exception>

#include <fmt/format.h>

#include "daemon/pg/connection.h"

namespace partitiond::pg {
namespace {

// Hand control back to the loop after this much data, so that a long COPY whose socket is always
// readable does not starve timers, other databases' passes or the systemd watchdog.
constexpr std::size_t kYieldEveryBytes = 4 << 20;

}  // namespace

asio::awaitable<void> Connection::StartCopy(const std::string& sql, ExecStatusType expected) {
  co_await Send(sql);
  PGresult* start = co_await NextResult();
  if (start == nullptr || PQresultStatus(start) != expected) {
    // An error (or a statement of another kind): report it like any query.
    const Result done = co_await CollectResults(sql, start);
    const char* kind = expected == PGRES_COPY_OUT ? "COPY TO STDOUT" : "COPY FROM STDIN";
    throw Error(fmt::format("not a {} statement: {}", kind, sql.substr(0, 80)), "42601");
  }
  PQclear(start);
}

asio::awaitable<long long> Connection::FinishCopy(const std::string& sql,
                                                  std::exception_ptr callback_failure) {
  std::optional<Result> end;
  std::exception_ptr end_failure;
  try {
    end.emplace(co_await CollectResults(sql));
  } catch (const Error&) {
    end_failure = std::current_exception();
  }
  // The callback's failure caused the server's error (a cancel or an aborted COPY IN): it is the
  // one worth reporting.
  if (callback_failure) std::rethrow_exception(callback_failure);
  if (end_failure) std::rethrow_exception(end_failure);
  co_return end->CommandRows();
}

asio::awaitable<long long> Connection::AsyncCopyOut(std::string sql,
                                                    std::function<void(std::string_view)> sink,
                                                    std::function<asio::awaitable<void>()> pace) {
  co_await StartCopy(sql, PGRES_COPY_OUT);
  PGconn* conn = conn_.get();
  std::exception_ptr sink_failure;
  std::size_t since_yield = 0;
  for (;;) {
    char* buffer = nullptr;
    const int size = PQgetCopyData(conn, &buffer, /*async=*/1);
    if (size > 0) {
      if (!sink_failure) {
        try {
          sink(std::string_view(buffer, static_cast<std::size_t>(size)));
        } catch (...) {
          // The server cannot be told to stop a COPY OUT except by a cancel; the rest of the
          // data is drained and discarded until it ends.
          sink_failure = std::current_exception();
          Cancel();
        }
      }
      PQfreemem(buffer);
      since_yield += static_cast<std::size_t>(size);
      if (since_yield >= kYieldEveryBytes) {
        since_yield = 0;
        if (pace && !sink_failure) {
          co_await pace();
        } else {
          co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        }
      }
      continue;
    }
    if (size == -1) break;  // the COPY is over; its result follows
    if (size == -2) throw LibpqError();
    co_await WaitSocket(/*for_write=*/false);
    if (!PQconsumeInput(conn)) throw LibpqError();
  }
  co_return co_await FinishCopy(sql, sink_failure);
}

asio::awaitable<long long> Connection::AsyncCopyIn(std::string sql,
                                                   std::function<bool(std::string&)> source) {
  co_await StartCopy(sql, PGRES_COPY_IN);
  PGconn* conn = conn_.get();
  std::exception_ptr source_failure;
  std::string chunk;
  for (;;) {
    bool more = false;
    try {
      chunk.clear();
      more = source(chunk);
    } catch (...) {
      source_failure = std::current_exception();
      break;
    }
    if (!chunk.empty()) {
      for (;;) {
        const int put = PQputCopyData(conn, chunk.data(), static_cast<int>(chunk.size()));
        if (put == 1) break;
        if (put < 0) throw LibpqError();
        co_await WaitSocket(/*for_write=*/true);
      }
      co_await FlushOutgoing();
    }
    if (!more) break;
  }
  // An error message makes the server abort the COPY: nothing of it is kept.
  const char* abort_reason = source_failure ? "partitiond: the data source failed" : nullptr;
  for (;;) {
    const int ended = PQputCopyEnd(conn, abort_reason);
    if (ended == 1) break;
    if (ended < 0) throw LibpqError();
    co_await WaitSocket(/*for_write=*/true);
  }
  co_await FlushOutgoing();
  co_return co_await FinishCopy(sql, source_failure);
}

}  // namespace partitiond::pg
