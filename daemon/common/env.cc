#include "daemon/common/env.h"

#include <algorithm>
#include <random>
#include <thread>

namespace partitiond {
namespace {

class SystemEnv final : public Env {
 public:
  SystemEnv() : rng_(std::random_device{}()) {}

  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }

  void SleepFor(std::chrono::milliseconds duration) override {
    std::this_thread::sleep_for(duration);
  }

  double Random01() override { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

 private:
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<Env> MakeSystemEnv() { return std::make_unique<SystemEnv>(); }

std::chrono::milliseconds JitteredBackoff(Env& env, int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds cap) {
  const int doublings = std::clamp(attempt - 1, 0, 30);
  const auto raw = std::min<std::int64_t>(cap.count(), base.count() << std::min(doublings, 20));
  const double factor = 0.5 + env.Random01();
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(raw) * factor));
}

}  // namespace partitiond
