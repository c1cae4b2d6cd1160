// A fake Env for unit tests: time moves only when the test calls Advance(), which fires the
// timers that fall due; Random01() returns a value the test sets. Nothing ever sleeps.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "daemon/common/env.h"

namespace partitiond::testing {

class FakeEnv final : public Env {
 public:
  std::chrono::system_clock::time_point Now() override { return system_now_; }
  std::chrono::steady_clock::time_point SteadyNow() override { return steady_now_; }
  std::unique_ptr<Timer> MakeTimer(asio::any_io_executor executor) override;
  double Random01() override { return random_; }

  // Moves both clocks forward and fires every timer whose deadline has come. The woken
  // coroutines run at the io_context's next poll().
  void Advance(std::chrono::milliseconds duration);
  void set_random(double value) { random_ = value; }
  void set_system_now(std::chrono::system_clock::time_point now) { system_now_ = now; }

  struct Waiter {
    std::chrono::steady_clock::time_point deadline;
    asio::steady_timer* timer = nullptr;  // set while a Wait() is pending
    bool fired = false;
  };

 private:
  std::chrono::system_clock::time_point system_now_{
      std::chrono::sys_days{std::chrono::year(2026) / 11 / 25}};
  std::chrono::steady_clock::time_point steady_now_{};
  double random_ = 0.5;
  std::vector<std::weak_ptr<Waiter>> waiters_;
};

class FakeTimer final : public Timer {
 public:
  FakeTimer(FakeEnv& env, asio::any_io_executor executor, std::shared_ptr<FakeEnv::Waiter> waiter)
      : env_(env), timer_(executor), waiter_(std::move(waiter)) {}

  asio::awaitable<bool> Wait(std::chrono::milliseconds duration) override {
    waiter_->deadline = env_.SteadyNow() + duration;
    waiter_->fired = false;
    waiter_->timer = &timer_;
    // Never expires by itself: Advance() or Cancel() end the wait.
    timer_.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ignored;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    waiter_->timer = nullptr;
    co_return waiter_->fired;
  }

  void Cancel() override { timer_.cancel(); }

 private:
  FakeEnv& env_;
  asio::steady_timer timer_;
  std::shared_ptr<FakeEnv::Waiter> waiter_;
};

inline std::unique_ptr<Timer> FakeEnv::MakeTimer(asio::any_io_executor executor) {
  auto waiter = std::make_shared<Waiter>();
  waiters_.push_back(waiter);
  return std::make_unique<FakeTimer>(*this, executor, std::move(waiter));
}

inline void FakeEnv::Advance(std::chrono::milliseconds duration) {
  steady_now_ += duration;
  system_now_ += duration;
  for (const auto& weak : waiters_) {
    const auto waiter = weak.lock();
    if (!waiter || waiter->timer == nullptr || waiter->deadline > steady_now_) continue;
    waiter->fired = true;
    waiter->timer->cancel();
  }
}

}  // namespace partitiond::testing
