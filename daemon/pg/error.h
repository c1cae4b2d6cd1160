// Database errors, sorted by SQLSTATE so callers decide between reconnecting, retrying and failing.
#pragma once

#include <stdexcept>
#include <string>

namespace partitiond::pg {

enum class ErrorClass {
  kConnection,   // class 08, 57P01-57P03, 53xxx, or no SQLSTATE (the socket died): reconnect
  kLockTimeout,  // 55P03 lock_not_available, 40P01 deadlock_detected: roll back, wait, retry
  kOther,        // anything else: the action fails
};

ErrorClass Classify(const std::string& sqlstate);

// The text an Error carries for a server error: the primary message, then the detail in
// parentheses, except where the detail can hold row contents. Data exceptions (class 22) and
// integrity constraint violations (class 23) put the failing row or key values there ("Failing
// row contains (...)", "Key (...)=(...)"), and those must not reach logs, the audit table or
// status; for them the constraint's name stands in for the detail when the server gave one.
std::string ServerErrorText(const std::string& sqlstate, const std::string& primary,
                            const std::string& detail, const std::string& constraint);

class Error : public std::runtime_error {
 public:
  Error(std::string message, std::string sqlstate)
      : std::runtime_error(std::move(message)),
        sqlstate_(std::move(sqlstate)),
        class_(Classify(sqlstate_)) {}

  const std::string& sqlstate() const { return sqlstate_; }
  ErrorClass error_class() const { return class_; }

 private:
  std::string sqlstate_;
  ErrorClass class_;
};

}  // namespace partitiond::pg
