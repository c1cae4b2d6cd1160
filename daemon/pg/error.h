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
