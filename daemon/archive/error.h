// Errors of the archive files themselves (as opposed to the database): an unwritable directory, a
// full disk, a corrupt or truncated archive. Raised as pg::Error with PostgreSQL's own SQLSTATEs
// for these conditions, so the executor fails the action (never retries it as a lock problem or
// reconnects) and the audit row carries a code operators can grep for.
#pragma once

#include <string>

#include "daemon/pg/error.h"

namespace partitiond::archive {

inline constexpr const char* kIoError = "58030";        // io_error: a file operation failed
inline constexpr const char* kDataCorrupted = "XX001";  // data_corrupted: verification failed

// `what` and the path, with strerror(errno) appended: "cannot create /x/y.partial: Permission
// denied".
pg::Error FileError(const std::string& what, const std::string& path, int error_number);

inline pg::Error CorruptArchive(const std::string& message) {
  return pg::Error(message, kDataCorrupted);
}

}  // namespace partitiond::archive
