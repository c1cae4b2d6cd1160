#include "daemon/archive/files.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/archive/error.h"

namespace partitiond::archive {

pg::Error FileError(const std::string& what, const std::string& path, int error_number) {
  return pg::Error(what + " " + path + ": " + std::strerror(error_number), kIoError);
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) close(fd_);
}

int FileDescriptor::Release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

FileDescriptor CreateExclusive(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw FileError("cannot create", path, errno);
  return FileDescriptor(fd);
}

FileDescriptor OpenForReading(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw FileError("cannot open", path, errno);
  return FileDescriptor(fd);
}

void WriteAll(const FileDescriptor& file, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t written = write(file.get(), data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      throw FileError("cannot write", path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

void SyncFile(const FileDescriptor& file, const std::string& path) {
  if (fsync(file.get()) != 0) throw FileError("cannot fsync", path, errno);
}

void SyncDirectory(const std::string& directory) {
  const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw FileError("cannot open directory", directory, errno);
  const FileDescriptor owned(fd);
  if (fsync(fd) != 0) throw FileError("cannot fsync directory", directory, errno);
}

void RenameNoReplace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    throw FileError("cannot rename " + from + " to", to, errno);
  }
}

bool EnsurePrivateDirectory(const std::string& path) {
  bool narrowed = false;
  // Each prefix ending at a '/' (and the whole path): mkdir what is missing.
  for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix = end == std::string::npos ? path : path.substr(0, end);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      throw FileError("cannot create directory", prefix, errno);
    }
    if (end == std::string::npos) break;
  }
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) throw FileError("cannot stat", path, errno);
  if (!S_ISDIR(info.st_mode)) throw FileError("not a directory:", path, ENOTDIR);
  if ((info.st_mode & 077) != 0 && info.st_uid == geteuid()) {
    if (chmod(path.c_str(), 0700) != 0) throw FileError("cannot chmod 0700", path, errno);
    narrowed = true;
  }
  return narrowed;
}

}  // namespace partitiond::archive
