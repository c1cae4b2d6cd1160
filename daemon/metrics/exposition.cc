#include "daemon/metrics/exposition.h"

#include <malloc.h>
#include <prometheus/text_serializer.h>
#include <pthread.h>
#include <zlib.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>

namespace partitiond::metrics {

Exposition Render(prometheus::Registry& registry) {
  Exposition out;
  out.text = prometheus::TextSerializer().Serialize(registry.Collect());
  out.gzip = Gzip(out.text);
  return out;
}

std::string Gzip(std::string_view data) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  // deflateBound() leaves room for everything, so one call finishes the stream.
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  return out;
}

namespace {

// Null when rendering fails: scrapes keep the previous rendering and the next change tries again.
std::shared_ptr<const Exposition> RenderLogged(prometheus::Registry& registry) {
  const auto started = std::chrono::steady_clock::now();
  try {
    auto fresh = std::make_shared<const Exposition>(Render(registry));
    const std::chrono::duration<double, std::milli> took =
        std::chrono::steady_clock::now() - started;
    spdlog::debug("metrics: rendered {} bytes ({} gzipped) in {:.1f} ms", fresh->text.size(),
                  fresh->gzip.size(), took.count());
    return fresh;
  } catch (const std::exception& e) {
    spdlog::error("metrics: cannot render the exposition: {}", e.what());
    return nullptr;
  }
}

}  // namespace

ExpositionCache::ExpositionCache(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      current_(std::make_shared<const Exposition>(Render(*registry_))),
      thread_([this] { RenderLoop(); }) {
  pthread_setname_np(thread_.native_handle(), "metrics-render");
}

ExpositionCache::~ExpositionCache() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_one();
  thread_.join();
}

void ExpositionCache::Invalidate() {
  {
    std::lock_guard lock(mutex_);
    ++requested_;
  }
  changed_.notify_one();
}

std::shared_ptr<const Exposition> ExpositionCache::Current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void ExpositionCache::WaitRendered() {
  std::unique_lock lock(mutex_);
  const std::uint64_t wanted = requested_;
  rendered_.wait(lock, [&] { return rendered_generation_ >= wanted || stopping_; });
}

void ExpositionCache::RenderLoop() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || requested_ > rendered_generation_; });
    if (stopping_) return;
    // Everything announced up to here is in the registry already; later changes render again.
    const std::uint64_t generation = requested_;
    lock.unlock();
    std::shared_ptr<const Exposition> fresh = RenderLogged(*registry_);
    lock.lock();
    if (fresh) current_.swap(fresh);
    rendered_generation_ = generation;
    rendered_.notify_all();
    lock.unlock();
    fresh.reset();  // the previous rendering, unless a scrape still holds it
    // A render's transient copies (Collect() copies every series, the stream doubles) stay in
    // this thread's malloc arena; hand them back rather than keep them resident while idle.
    malloc_trim(0);
    lock.lock();
  }
}

}  // namespace partitiond::metrics
