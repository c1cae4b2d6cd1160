// Records one step of an action for the audit, timed from its own start (construction) to Done
// or Failed. Not thread-safe.
#pragma once

#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "daemon/common/env.h"
#include "daemon/executor/outcome.h"

namespace partitiond::executor {

class StepTimer {
 public:
  // Records go to `steps`, which must outlive the timer.
  StepTimer(Env& env, std::vector<StepRecord>& steps, std::string name)
      : env_(env), steps_(steps), name_(std::move(name)), started_(env.SteadyNow()) {}
  // Records the step as done; returns how long it took.
  std::chrono::milliseconds Done(std::string detail = {}) {
    return Record(Outcome::kOk, std::move(detail), {});
  }
  std::chrono::milliseconds Failed(const std::exception& e) {
    return Record(Outcome::kFailed, {}, e.what());
  }

 private:
  std::chrono::milliseconds Record(Outcome outcome, std::string detail, std::string error) {
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(env_.SteadyNow() - started_);
    steps_.push_back({.step = name_,
                      .outcome = outcome,
                      .duration = took,
                      .detail = std::move(detail),
                      .error = std::move(error)});
    return took;
  }

  Env& env_;
  std::vector<StepRecord>& steps_;
  std::string name_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace partitiond::executor
