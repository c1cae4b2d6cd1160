// The event loop that every database and the systemd watchdog share keeps ticking while one
// database's host name resolves through a resolver that never answers. The daemon runs in a mount
// namespace of its own whose /etc/resolv.conf names a UDP socket on 127.0.0.77 that the test
// holds open and never answers (no traffic leaves loopback); its watchdog keep-alives, every
// 100 ms, go to a notify socket the test reads, and the longest gap between two of them is the
// measure of how long the loop was blocked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tests/support/daemon_process.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kWait = 30s;
constexpr const char* kUnresolvable = "db.partitiond-test.invalid";

// A file descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// Collects the arrival times of WATCHDOG=1 datagrams on a notify socket until stopped.
class WatchdogProbe {
 public:
  explicit WatchdogProbe(const std::string& path) : path_(path) {
    socket_.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bound_ = bind(socket_.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (bound_) reader_ = std::thread([this] { Read(); });
  }
  ~WatchdogProbe() { Stop(); }
  bool bound() const { return bound_; }
  void Stop() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
  }
  std::vector<Clock::time_point> pings() {
    std::lock_guard lock(mutex_);
    return pings_;
  }

 private:
  void Read() {
    while (!stop_) {
      pollfd p{.fd = socket_.fd, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, 20) <= 0) continue;
      char buffer[512];
      const ssize_t n = recv(socket_.fd, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      if (std::string(buffer, n).find("WATCHDOG=1") == std::string::npos) continue;
      std::lock_guard lock(mutex_);
      pings_.push_back(Clock::now());
    }
  }

  std::string path_;
  Fd socket_;
  bool bound_ = false;
  std::atomic<bool> stop_ = false;
  std::thread reader_;
  std::mutex mutex_;
  std::vector<Clock::time_point> pings_;
};

class LoopResponsivenessTest : public DatabaseTest {};

TEST_F(LoopResponsivenessTest, TheWatchdogKeepsTickingWhileAHostNameNeverResolves) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace with its own resolv.conf";
  CreateMonthlyEvents();
  // The silent resolver: bound, never read, never answered.
  Fd dns{socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(53);
  inet_pton(AF_INET, "127.0.0.77", &addr.sin_addr);
  ASSERT_EQ(bind(dns.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
      << std::strerror(errno);
  // One try of two seconds: libpq's own lookup would hold the loop that long.
  const std::string resolv =
      WriteFile("resolv.conf", "nameserver 127.0.0.77\noptions timeout:2 attempts:1\n");
  const std::string tables = "    tables:\n" + std::string(kMonthlyEventsKeptAMonth);
  const std::string config =
      WriteFile("two-databases.yaml",
                fmt::format("log: {{ level: debug }}\n"
                            "maintenance: {{ interval: 1s, jitter: 0s, lock_timeout: 100ms }}\n"
                            "databases:\n"
                            "  - name: unresolvable\n"
                            "    conninfo: \"host={} dbname=app connect_timeout=10\"\n{}"
                            "  - name: test\n"
                            "    conninfo: \"{}\"\n{}",
                            kUnresolvable, tables, DaemonConnInfo(), tables));
  WatchdogProbe probe(tmp_dir_ + "/notify.sock");
  ASSERT_TRUE(probe.bound());

  DaemonProcess daemon("partitiond", {"run", "--config", config, "--now", "2026-11-25T10:00:00Z"},
                       {"unshare", "--mount", "--", "sh", "-c",
                        R"(mount --bind "$0" /etc/resolv.conf && exec "$@")", resolv},
                       {"NOTIFY_SOCKET=" + tmp_dir_ + "/notify.sock", "WATCHDOG_USEC=200000"});
  ASSERT_TRUE(daemon.WaitForLine("database test: pass complete", kWait)) << daemon.Output();
  ASSERT_TRUE(daemon.WaitForLine(kUnresolvable, kWait)) << daemon.Output();
  // And the next attempt, after its backoff, resolves in vain again.
  ASSERT_TRUE(daemon.WaitForLine(kUnresolvable, kWait)) << daemon.Output();
  probe.Stop();

  const auto pings = probe.pings();
  ASSERT_GE(pings.size(), 20u) << "too few watchdog keep-alives to judge";
  std::chrono::milliseconds worst{0};
  for (std::size_t i = 1; i < pings.size(); ++i) {
    worst = std::max(
        worst, std::chrono::duration_cast<std::chrono::milliseconds>(pings[i] - pings[i - 1]));
  }
  EXPECT_LT(worst, 250ms) << "the loop went " << worst.count()
                          << " ms without a watchdog keep-alive";
  EXPECT_THAT(daemon.Output(), ::testing::HasSubstr("database test: pass complete"));
}

}  // namespace
}  // namespace partitiond::testing
