#include "daemon/pg/connection.h"

#include <charconv>
#include <cstdlib>

namespace partitiond::pg {
namespace {

std::string TrimmedMessage(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
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

double Result::GetDouble(int row, int column) const {
  return std::strtod(std::string(Get(row, column)).c_str(), nullptr);
}

Connection Connection::Open(const std::string& conninfo, const SessionOptions& options) {
  // Keepalives make a vanished server show up as an error instead of a hang.
  const char* keys[] = {"dbname",
                        "application_name",
                        "keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        nullptr};
  const char* values[] = {conninfo.c_str(), options.application_name.c_str(), "1", "30", "10", "3",
                          nullptr};
  Connection conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn.conn_) throw Error("out of memory allocating a libpq connection", "08000");
  if (PQstatus(conn.conn_.get()) != CONNECTION_OK) {
    throw Error(TrimmedMessage(PQerrorMessage(conn.conn_.get())), "08001");
  }
  std::string setup = "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET IntervalStyle = postgres;";
  if (options.statement_timeout.count() > 0) {
    setup += " SET statement_timeout = '" + ToPgDuration(options.statement_timeout) + "';";
  }
  conn.Exec(setup);
  return conn;
}

Result Connection::Check(PGresult* raw_result, const std::string& sql) {
  Result result(raw_result);
  const ExecStatusType status = PQresultStatus(raw_result);
  if (raw_result != nullptr && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) {
    return result;
  }
  const char* state = raw_result ? PQresultErrorField(raw_result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = TrimmedMessage(raw_result ? PQresultErrorMessage(raw_result) : nullptr);
  if (message.empty()) message = TrimmedMessage(PQerrorMessage(conn_.get()));
  if (message.empty()) message = "query failed: " + sql.substr(0, 80);
  throw Error(message, state ? state : "");
}

Result Connection::Exec(const std::string& sql) {
  return Check(PQexec(conn_.get(), sql.c_str()), sql);
}

Result Connection::ExecParams(const std::string& sql,
                              const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return Check(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0),
               sql);
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

Transaction::Transaction(Connection& conn) : conn_(conn) { conn_.Exec("BEGIN"); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    conn_.Exec("ROLLBACK");
  } catch (const Error&) {
  }
}

void Transaction::Commit() {
  conn_.Exec("COMMIT");
  done_ = true;
}

std::string ToPgDuration(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + "ms";
}

}  // namespace partitiond::pg
