// RAII holders for libpq handles and a synchronous query API.
//
// A Connection owns one PGconn; it is movable, not copyable, and not thread-safe. Every failed
// query throws pg::Error carrying the server's SQLSTATE (empty when the connection itself broke).
// Session settings that make catalog output parseable (DateStyle ISO, TimeZone UTC) are applied
// at connect time, so callers can rely on them.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

struct SessionOptions {
  std::string application_name = "partitiond";
  std::chrono::milliseconds statement_timeout{0};  // 0: server default
};

class Connection {
 public:
  // Connects or throws pg::Error (class kConnection) with libpq's message.
  static Connection Open(const std::string& conninfo, const SessionOptions& options);

  Result Exec(const std::string& sql);
  // Values are sent as text parameters $1..$n; nullopt is SQL NULL.
  Result ExecParams(const std::string& sql, const std::vector<std::optional<std::string>>& params);

  // Quoting for the rare places parameters cannot go (DDL). Both use the connection's encoding.
  std::string QuoteIdentifier(std::string_view name);
  std::string QuoteLiteral(std::string_view value);
  // "schema"."name", each part quoted.
  std::string QuoteQualified(std::string_view schema, std::string_view name);

  bool IsOk() const { return PQstatus(conn_.get()) == CONNECTION_OK; }
  PGconn* raw() { return conn_.get(); }

 private:
  explicit Connection(PGconn* conn) : conn_(conn, &PQfinish) {}
  Result Check(PGresult* result, const std::string& sql);

  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// BEGIN on construction; ROLLBACK on destruction unless Commit() succeeded. A failed rollback
// (the connection broke) is swallowed: the server rolls back a dead session anyway.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void Commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

// "250ms" for SET lock_timeout / statement_timeout.
std::string ToPgDuration(std::chrono::milliseconds duration);

}  // namespace partitiond::pg
