#include "daemon/common/env.h"

#include <algorithm>
#include <random>

namespace partitiond {
namespace {

class SteadyTimer final : public Timer {
 public:
  explicit SteadyTimer(asio::any_io_executor executor) : timer_(executor) {}

  asio::awaitable<bool> Wait(std::chrono::milliseconds duration) override {
    timer_.expires_after(duration);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  void Cancel() override { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

class SystemEnv final : public Env {
 public:
  SystemEnv() : rng_(std::random_device{}()) {}

  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point SteadyNow() override {
    return std::chrono::steady_clock::now();
  }
  std::unique_ptr<Timer> MakeTimer(asio::any_io_executor executor) override {
    return std::make_unique<SteadyTimer>(executor);
  }
  double Random01() override { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<Env> MakeSystemEnv() { return std::make_unique<SystemEnv>(); }

std::chrono::milliseconds JitteredBackoff(Env& env, int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds cap) {
  const int doublings = std::clamp(attempt - 1, 0, 20);
  const auto raw = std::min<std::int64_t>(cap.count(), base.count() << doublings);
  const double factor = 0.5 + env.Random01();
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(raw) * factor));
}

asio::awaitable<void> SleepFor(Env& env, std::chrono::milliseconds duration) {
  auto timer = env.MakeTimer(co_await asio::this_coro::executor);
  co_await timer->Wait(duration);
}

}  // namespace partitiond
