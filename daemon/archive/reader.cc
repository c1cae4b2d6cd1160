#include "daemon/archive/reader.h"

#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "daemon/archive/error.h"

namespace partitiond::archive {

ArchiveReader::ArchiveReader(std::string path)
    : path_(std::move(path)),
      file_(OpenForReading(path_)),
      context_(ZSTD_createDCtx(), &ZSTD_freeDCtx),
      input_(ZSTD_DStreamInSize(), '\0') {
  if (!context_) throw FileError("out of memory decompressing", path_, ENOMEM);
  input_.resize(0);
}

bool ArchiveReader::Next(std::string& chunk) {
  chunk.assign(ZSTD_DStreamOutSize(), '\0');
  for (;;) {
    if (input_pos_ == input_.size() && !eof_ && !output_pending_) {
      input_.resize(ZSTD_DStreamInSize());
      ssize_t got;
      do {
        got = read(file_.get(), input_.data(), input_.size());
      } while (got < 0 && errno == EINTR);
      if (got < 0) throw FileError("cannot read", path_, errno);
      input_.resize(static_cast<std::size_t>(got));
      input_pos_ = 0;
      eof_ = got == 0;
      sha256_.Update(input_);
      read_.compressed_bytes += input_.size();
    }
    if (input_pos_ == input_.size() && eof_ && !output_pending_) {
      chunk.clear();
      if (read_.compressed_bytes == 0 || frame_remaining_ != 0) {
        throw CorruptArchive(path_ + " is truncated (the zstd frame does not end)");
      }
      return false;
    }
    ZSTD_inBuffer in{input_.data(), input_.size(), input_pos_};
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    frame_remaining_ = ZSTD_decompressStream(context_.get(), &out, &in);
    input_pos_ = in.pos;
    // A full output buffer may leave decompressed data inside zstd, to fetch without new input.
    output_pending_ = out.pos == out.size;
    if (ZSTD_isError(frame_remaining_)) {
      throw CorruptArchive(path_ + " is corrupt: " + ZSTD_getErrorName(frame_remaining_));
    }
    if (out.pos == 0) continue;
    chunk.resize(out.pos);
    read_.raw_bytes += out.pos;
    read_.rows += static_cast<std::uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    return true;
  }
}

ReadArchive ArchiveReader::Finish() {
  read_.sha256 = sha256_.HexDigest();
  return read_;
}

ReadArchive ScanArchive(const std::string& path) {
  ArchiveReader reader(path);
  std::string chunk;
  while (reader.Next(chunk)) {
  }
  return reader.Finish();
}

void VerifyAgainstManifest(const Manifest& manifest, const std::string& path) {
  const ReadArchive read = ScanArchive(path);
  if (read.sha256 != manifest.sha256) {
    throw CorruptArchive(
        fmt::format("verification of {} failed: SHA-256 {} read back, {} in the manifest", path,
                    read.sha256, manifest.sha256));
  }
  if (read.rows != manifest.rows) {
    throw CorruptArchive(
        fmt::format("verification of {} failed: {} rows read back, {} in the manifest", path,
                    read.rows, manifest.rows));
  }
}

}  // namespace partitiond::archive
