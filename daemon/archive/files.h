// Durable file primitives for archives: every failure throws pg::Error with SQLSTATE 58030 naming
// the path and the system's reason (see error.h).
#pragma once

#include <string>
#include <string_view>

namespace partitiond::archive {

// An owned file descriptor; closed on destruction.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.Release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  ~FileDescriptor();
  int get() const { return fd_; }
  int Release();

 private:
  int fd_;
};

// Creates `path` exclusively (it must not exist) with mode 0600, for writing.
FileDescriptor CreateExclusive(const std::string& path);
FileDescriptor OpenForReading(const std::string& path);
// Writes all of `data` (retrying short writes and EINTR).
void WriteAll(const FileDescriptor& file, std::string_view data, const std::string& path);
void SyncFile(const FileDescriptor& file, const std::string& path);
// fsync of a directory, so that a rename or create in it survives a crash.
void SyncDirectory(const std::string& directory);
// Renames `from` to `to`, failing (EEXIST) instead of replacing an existing `to`.
void RenameNoReplace(const std::string& from, const std::string& to);
// Creates `path` and missing parents with mode 0700; an existing directory we own with group or
// other permissions is narrowed to 0700. Returns true if it narrowed any.
bool EnsurePrivateDirectory(const std::string& path);

}  // namespace partitiond::archive
