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

}  // namespace partitiond::pg
