// Waits, without sleeping, until a process writes into a file in a directory (inotify + poll), so
// a test can act at a precise moment of another process's work, e.g. kill it in the middle of an
// archive.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace partitiond::testing {

class FileWatch {
 public:
  // Starts watching `directory` (which must exist) for writes.
  explicit FileWatch(const std::string& directory);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  // Waits until a file whose name ends with `suffix` is written to; returns its name, or an empty
  // string when `timeout` passes first.
  std::string WaitForWrite(std::string_view suffix, std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

}  // namespace partitiond::testing
