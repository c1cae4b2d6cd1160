#include "daemon/pg/error.h"

namespace partitiond::pg {

ErrorClass Classify(const std::string& sqlstate) {
  // libpq reports a broken connection without a server-sent SQLSTATE.
  if (sqlstate.empty()) return ErrorClass::kConnection;
  const std::string cls = sqlstate.substr(0, 2);
  if (cls == "08" || cls == "53") return ErrorClass::kConnection;
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    return ErrorClass::kConnection;
  }
  if (sqlstate == "55P03" || sqlstate == "40P01") return ErrorClass::kLockTimeout;
  return ErrorClass::kOther;
}

std::string ServerErrorText(const std::string& sqlstate, const std::string& primary,
                            const std::string& detail, const std::string& constraint) {
  const std::string cls = sqlstate.substr(0, 2);
  const bool may_hold_row_data = cls == "22" || cls == "23";
  if (primary.empty()) return primary;
  if (!may_hold_row_data) return detail.empty() ? primary : primary + " (" + detail + ")";
  // The primary messages of these classes name the constraint in most cases; say it otherwise.
  if (constraint.empty() || primary.find('"' + constraint + '"') != std::string::npos) {
    return primary;
  }
  return primary + " (constraint \"" + constraint + "\")";
}

}  // namespace partitiond::pg
