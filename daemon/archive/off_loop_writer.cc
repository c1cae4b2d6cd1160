#include "daemon/archive/off_loop_writer.h"

#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>

#include "daemon/archive/off_loop.h"
#include "daemon/archive/reader.h"

namespace partitiond::archive {

// What the loop and the pool share. The writer is touched only on the strand; the counters and
// the failure under the mutex.
struct OffLoopWriter::Shared {
  std::optional<ArchiveWriter> writer;
  asio::any_io_executor loop;
  std::weak_ptr<asio::steady_timer> wake;  // the loop's; expired once the writer is gone
  std::atomic<bool> failed = false;
  std::mutex mutex;
  std::exception_ptr failure;
  std::size_t queued = 0;
  bool waiting = false;

  // On the strand: one batch into the writer, then the producer woken if it waits for room.
  void Write(const std::string& batch) {
    if (!failed) {
      try {
        writer->Write(batch);
      } catch (...) {
        const std::lock_guard lock(mutex);
        failure = std::current_exception();
        failed = true;
      }
    }
    const std::lock_guard lock(mutex);
    queued -= batch.size();
    if (!waiting) return;
    waiting = false;
    // The timer belongs to the loop: it is only touched there. Expiring it (rather than
    // cancelling a wait) also ends a wait that starts after this runs.
    asio::post(loop, [wake = wake] {
      if (auto timer = wake.lock()) timer->expires_at(asio::steady_timer::time_point::min());
    });
  }

  void Rethrow() {
    const std::lock_guard lock(mutex);
    if (failure) std::rethrow_exception(failure);
  }
};

asio::awaitable<std::unique_ptr<OffLoopWriter>> OffLoopWriter::Open(Files files, std::string path) {
  auto shared = std::make_shared<Shared>();
  asio::strand<Files> strand(files);
  const std::function<void()> create = [shared, path] { shared->writer.emplace(path); };
  co_await RunOffLoop(strand, create);
  asio::any_io_executor loop = co_await asio::this_coro::executor;
  co_return std::unique_ptr<OffLoopWriter>(new OffLoopWriter(strand, std::move(shared), loop));
}

OffLoopWriter::OffLoopWriter(asio::strand<Files> files, std::shared_ptr<Shared> shared,
                             asio::any_io_executor loop)
    : files_(std::move(files)),
      shared_(std::move(shared)),
      wake_(std::make_shared<asio::steady_timer>(loop)),
      partial_path_(shared_->writer->partial_path()) {
  shared_->loop = std::move(loop);
  shared_->wake = wake_;
  batch_.reserve(kBatchBytes);
}

OffLoopWriter::~OffLoopWriter() {
  // Close() was not awaited (a failure between Open and Close, or the loop shutting down): the
  // unpublished .partial is removed on the pool all the same, after any batch still queued.
  if (shared_) asio::post(files_, [shared = std::move(shared_)] { shared->writer.reset(); });
}

void OffLoopWriter::Write(std::string_view data) {
  if (shared_->failed) shared_->Rethrow();
  batch_.append(data);
  if (batch_.size() >= kBatchBytes) HandOver();
}

void OffLoopWriter::HandOver() {
  if (batch_.empty()) return;
  std::string batch;
  batch.swap(batch_);
  batch_.reserve(kBatchBytes);
  {
    const std::lock_guard lock(shared_->mutex);
    shared_->queued += batch.size();
  }
  asio::post(files_, [shared = shared_, batch = std::move(batch)] { shared->Write(batch); });
}

asio::awaitable<void> OffLoopWriter::Pace() {
  for (;;) {
    {
      const std::lock_guard lock(shared_->mutex);
      if (shared_->failure || shared_->queued <= kMaxQueuedBytes) break;
      shared_->waiting = true;
      wake_->expires_at(asio::steady_timer::time_point::max());
    }
    boost::system::error_code ignored;
    co_await wake_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

asio::awaitable<WrittenArchive> OffLoopWriter::Finish() {
  HandOver();
  const std::function<WrittenArchive()> finish = [shared = shared_] {
    shared->Rethrow();
    return shared->writer->Finish();
  };
  co_return co_await RunOffLoop(files_, finish);
}

asio::awaitable<void> OffLoopWriter::Verify(Manifest manifest) {
  const std::function<void()> verify = [shared = shared_, manifest = std::move(manifest)] {
    VerifyAgainstManifest(manifest, shared->writer->partial_path());
  };
  co_await RunOffLoop(files_, verify);
}

asio::awaitable<void> OffLoopWriter::Publish(std::string manifest_path, Manifest manifest) {
  const std::function<void()> publish = [shared = shared_, manifest_path = std::move(manifest_path),
                                         manifest = std::move(manifest)] {
    shared->writer->Publish(manifest_path, manifest);
  };
  co_await RunOffLoop(files_, publish);
}

asio::awaitable<void> OffLoopWriter::Close() {
  const std::function<void()> close = [shared = std::move(shared_)] { shared->writer.reset(); };
  co_await RunOffLoop(files_, close);
}

}  // namespace partitiond::archive
