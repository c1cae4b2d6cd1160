// An ArchiveWriter (writer.h) fed from the event loop and run on a thread pool, so that
// compression, write(2), fsync, the read-back verification and the renames never hold the loop.
//
// The loop side buffers what Write() is given and hands it over in batches; the pool side, one
// batch at a time in order (a strand), compresses and writes it. Pace(), awaited by the producer
// between chunks (pg::Connection::AsyncCopyOut's `pace`), suspends the producer while more than
// kMaxQueuedBytes wait for the pool, so memory stays bounded and the database's socket is read
// only as fast as the disk takes it. A failure on the pool side is thrown by the next Write() or
// by Finish(). Finish(), Verify() and Publish() run on the pool and resume on the loop; Close()
// ends the writer there (removing the .partial unless Publish() succeeded). Await Close() before
// destroying it: otherwise the destructor leaves that cleanup to the pool unawaited.
// All members are called from the loop, one coroutine at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/archive/manifest.h"
#include "daemon/archive/writer.h"
#include "daemon/common/asio.h"

#include <boost/asio/strand.hpp>

namespace partitiond::archive {

class OffLoopWriter {
 public:
  using Files = asio::thread_pool::executor_type;
  static constexpr std::size_t kBatchBytes = 1 << 20;
  static constexpr std::size_t kMaxQueuedBytes = 8 << 20;

  // Creates "<path>.partial" on `files` (see ArchiveWriter); throws its error.
  static asio::awaitable<std::unique_ptr<OffLoopWriter>> Open(Files files, std::string path);
  ~OffLoopWriter();
  OffLoopWriter(const OffLoopWriter&) = delete;
  OffLoopWriter& operator=(const OffLoopWriter&) = delete;

  void Write(std::string_view data);
  // Yields to the loop, and waits while the pool is behind. Never throws.
  asio::awaitable<void> Pace();
  asio::awaitable<WrittenArchive> Finish();
  // Reads the .partial back and compares it with the manifest (VerifyAgainstManifest).
  asio::awaitable<void> Verify(Manifest manifest);
  asio::awaitable<void> Publish(std::string manifest_path, Manifest manifest);
  asio::awaitable<void> Close();

  const std::string& partial_path() const { return partial_path_; }

 private:
  struct Shared;
  OffLoopWriter(asio::strand<Files> files, std::shared_ptr<Shared> shared,
                asio::any_io_executor loop);
  void HandOver();

  asio::strand<Files> files_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<asio::steady_timer> wake_;
  std::string partial_path_;
  std::string batch_;
};

}  // namespace partitiond::archive
