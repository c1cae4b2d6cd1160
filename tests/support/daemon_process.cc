#include "tests/support/daemon_process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <gtest/gtest.h>

#include "tests/support/pg_cluster.h"

extern char** environ;

namespace partitiond::testing {
namespace {

int DecodeStatus(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Whole milliseconds left until `deadline`, rounded up so that poll() never returns early.
int MillisecondsUntil(std::chrono::steady_clock::time_point deadline) {
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Spawn attributes and file actions as RAII, so every early return cleans up.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

DaemonProcess::DaemonProcess(std::string label, const std::vector<std::string>& args,
                             const std::vector<std::string>& wrapper,
                             const std::vector<std::string>& extra_env)
    : label_(std::move(label)) {
  std::array<int, 2> pipe_fds{};
  // Close-on-exec, so no other child (another daemon, pg_ctl's server) holds our pipe open.
  if (pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return;
  }
  SpawnSetup setup;
  // dup2 clears close-on-exec on the copies the child keeps as its stdout and stderr.
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, pipe_fds[1], STDERR_FILENO);
  // The daemon handles these itself; whatever the test runner blocked or ignored must not leak in.
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int s : {SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> words = wrapper;
  words.push_back(PartitiondBinary());
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_words = extra_env;
  std::vector<char*> env;
  for (auto& word : env_words) env.push_back(word.data());
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  env.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, words.front().c_str(), &setup.actions, &setup.attr,
                                   argv.data(), env.data());
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    ADD_FAILURE() << "posix_spawn " << words.front() << ": " << std::strerror(spawned);
    return;
  }
  pid_ = pid;
  out_fd_ = pipe_fds[0];
  // Our unreaped child: its pid cannot be reused, so the pidfd names this process.
  // (glibc 2.36's <sys/pidfd.h> lacks C linkage for C++, hence the raw system call.)
  pid_fd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pid_fd_ < 0) ADD_FAILURE() << "pidfd_open: " << std::strerror(errno);
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_) exit_code_ = DecodeStatus(status);
  }
  // The child is gone, so the rest of its output ends in EOF and reading it cannot block.
  while (out_fd_ >= 0 && ReadSome()) {
  }
  if (pid_fd_ >= 0) close(pid_fd_);
  if (::testing::Test::HasFailure() || std::getenv("PARTITIOND_TEST_SHOW_OUTPUT") != nullptr) {
    std::cerr << "---- output of " << label_ << " (pid " << pid_ << ") ----\n"
              << Output() << "---- end of " << label_ << " ----\n";
  }
}

std::string DaemonProcess::Output() const {
  std::string out;
  for (const auto& line : lines_) out += line + "\n";
  if (!partial_.empty()) out += partial_ + "\n";
  return out;
}

bool DaemonProcess::ReadSome() {
  std::array<char, 8192> buffer;
  const ssize_t n = read(out_fd_, buffer.data(), buffer.size());
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return true;
    ADD_FAILURE() << label_ << ": read: " << std::strerror(errno);
  }
  if (n <= 0) {
    if (!partial_.empty()) lines_.push_back(std::move(partial_));
    partial_.clear();
    close(out_fd_);
    out_fd_ = -1;
    return false;
  }
  partial_.append(buffer.data(), static_cast<std::size_t>(n));
  std::size_t start = 0;
  for (std::size_t end; (end = partial_.find('\n', start)) != std::string::npos; start = end + 1) {
    lines_.push_back(partial_.substr(start, end - start));
  }
  partial_.erase(0, start);
  return true;
}

void DaemonProcess::ReapIfExited() {
  if (pid_ <= 0 || exit_code_) return;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return;
  exit_code_ = DecodeStatus(status);
  if (pid_fd_ >= 0) close(pid_fd_);
  pid_fd_ = -1;
}

bool DaemonProcess::PollOnce(std::chrono::steady_clock::time_point deadline) {
  std::array<pollfd, 2> fds{};
  nfds_t n = 0;
  const int out_index = out_fd_ >= 0 ? static_cast<int>(n++) : -1;
  if (out_index >= 0) fds[out_index] = {.fd = out_fd_, .events = POLLIN};
  const int pid_index = pid_fd_ >= 0 ? static_cast<int>(n++) : -1;
  if (pid_index >= 0) fds[pid_index] = {.fd = pid_fd_, .events = POLLIN};
  if (n == 0) return false;
  const int ready = poll(fds.data(), n, MillisecondsUntil(deadline));
  if (ready < 0 && errno != EINTR) ADD_FAILURE() << label_ << ": poll: " << std::strerror(errno);
  if (ready <= 0) return ready < 0 && errno == EINTR;
  if (out_index >= 0 && fds[out_index].revents != 0) ReadSome();
  if (pid_index >= 0 && fds[pid_index].revents != 0) ReapIfExited();
  return true;
}

std::optional<std::string> DaemonProcess::WaitForMatch(
    const std::function<bool(const std::string&)>& match, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (std::size_t i = cursor_;;) {
    for (; i < lines_.size(); ++i) {
      if (!match(lines_[i])) continue;
      cursor_ = i + 1;
      return lines_[i];
    }
    // Output ended (and was read to its end), or the deadline passed.
    if (out_fd_ < 0 || !PollOnce(deadline)) return std::nullopt;
  }
}

std::optional<std::string> DaemonProcess::WaitForLine(const std::regex& pattern,
                                                      std::chrono::milliseconds timeout) {
  return WaitForMatch([&](const std::string& line) { return std::regex_search(line, pattern); },
                      timeout);
}

std::optional<std::string> DaemonProcess::WaitForLine(std::string_view substring,
                                                      std::chrono::milliseconds timeout) {
  return WaitForMatch(
      [&](const std::string& line) { return line.find(substring) != std::string::npos; }, timeout);
}

void DaemonProcess::Drain() {
  while (out_fd_ >= 0) {
    pollfd p{.fd = out_fd_, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0 || !ReadSome()) break;
  }
}

void DaemonProcess::Signal(int signal) {
  ASSERT_GT(pid_, 0) << label_ << " was never started";
  ASSERT_FALSE(exit_code_.has_value()) << label_ << " has already exited";
  ASSERT_EQ(kill(pid_, signal), 0) << std::strerror(errno);
}

std::optional<int> DaemonProcess::WaitExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    if (pid_fd_ < 0) return std::nullopt;  // never started
    if (!PollOnce(deadline)) return std::nullopt;
  }
  // Its output ends with its exit (or right after, when the last bytes are still in the pipe).
  while (out_fd_ >= 0 && PollOnce(deadline)) {
  }
  return exit_code_;
}

}  // namespace partitiond::testing
