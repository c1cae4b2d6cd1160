// How an action, or one step of it, ended.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace partitiond::executor {

enum class Outcome { kOk, kFailed, kSkipped };
std::string_view ToString(Outcome outcome);

// One step of a multi-step action (archive: mark, detach, write, verify, drop), for the audit.
struct StepRecord {
  std::string step;
  Outcome outcome = Outcome::kOk;
  std::chrono::milliseconds duration{0};
  std::string detail;  // JSON object text, or empty
  std::string error;
};

}  // namespace partitiond::executor
