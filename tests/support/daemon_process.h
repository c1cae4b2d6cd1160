// The real partitiond binary as a child process, for tests of `partitiond run`: its stdout and
// stderr go through one pipe that the test reads line by line. Every wait is event-driven: it
// blocks in poll() on the pipe (and on a pidfd for the exit), never sleeps, and gives up at its
// timeout.
//
// Not thread-safe; use from the test's thread. The destructor kills (SIGKILL) and reaps a child
// still running, and prints its output when the test has failed (or always, when the environment
// has PARTITIOND_TEST_SHOW_OUTPUT).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace partitiond::testing {

class DaemonProcess {
 public:
  // Starts PartitiondBinary() with `args` (argv words, no shell). `label` names it in failure
  // output. Fails the test (and leaves pid() at -1) if it cannot start. `wrapper` (argv words, the
  // first looked up in PATH) runs first and must exec the binary in the same process (as
  // `unshare --mount -- ...` does); `extra_env` ("NAME=value") is added to the environment.
  DaemonProcess(std::string label, const std::vector<std::string>& args,
                const std::vector<std::string>& wrapper = {},
                const std::vector<std::string>& extra_env = {});
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& label() const { return label_; }

  // Waits for the next line (after the cursor) that matches, returns it and moves the cursor past
  // it. nullopt when `timeout` passes or the output ends first; the cursor then stays put.
  std::optional<std::string> WaitForLine(const std::regex& pattern,
                                         std::chrono::milliseconds timeout);
  std::optional<std::string> WaitForLine(std::string_view substring,
                                         std::chrono::milliseconds timeout);
  // Reads whatever output is available now, without waiting.
  void Drain();

  // Complete lines read so far, and the index of the first line WaitForLine has not passed.
  const std::vector<std::string>& lines() const { return lines_; }
  std::size_t cursor() const { return cursor_; }
  // Everything read so far, for failure messages.
  std::string Output() const;

  void Signal(int signal);
  // Waits for the child to exit, reading its output meanwhile. Returns its exit code, or 128 +
  // the signal that ended it; nullopt when `timeout` passes first.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  bool exited() const { return exit_code_.has_value(); }

 private:
  // Reads once from the pipe; false at end of output.
  bool ReadSome();
  // One poll() on the pipe and the pidfd until `deadline`; false when it timed out.
  bool PollOnce(std::chrono::steady_clock::time_point deadline);
  void ReapIfExited();
  std::optional<std::string> WaitForMatch(const std::function<bool(const std::string&)>& match,
                                          std::chrono::milliseconds timeout);

  std::string label_;
  pid_t pid_ = -1;
  int out_fd_ = -1;      // read end of the stdout+stderr pipe; -1 after end of output
  int pid_fd_ = -1;      // pidfd of the child, readable once it has exited
  std::string partial_;  // an unfinished last line
  std::vector<std::string> lines_;
  std::size_t cursor_ = 0;
  std::optional<int> exit_code_;
};

}  // namespace partitiond::testing
