// Reads an archive back: the compressed bytes are hashed (SHA-256) and decompressed as they are
// read, and the rows of the decompressed COPY text are counted (one row per newline: COPY's text
// format escapes newlines inside values). Used to verify an archive before its partition is
// dropped and to feed a restore. Memory is constant. A truncated or corrupt file throws pg::Error
// (XX001); an unreadable one 58030. Not copyable; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "daemon/archive/files.h"
#include "daemon/archive/manifest.h"
#include "daemon/archive/sha256.h"

typedef struct ZSTD_DCtx_s ZSTD_DCtx;

namespace partitiond::archive {

struct ReadArchive {
  std::uint64_t raw_bytes = 0;         // decompressed
  std::uint64_t compressed_bytes = 0;  // the file's size
  std::uint64_t rows = 0;
  std::string sha256;  // of the file
};

class ArchiveReader {
 public:
  explicit ArchiveReader(std::string path);
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // Replaces `chunk` with the next piece of decompressed data; false (and `chunk` empty) once the
  // whole file was read.
  bool Next(std::string& chunk);
  // After Next returned false: the totals.
  ReadArchive Finish();

 private:
  std::string path_;
  FileDescriptor file_;
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> context_;
  std::string input_;
  std::size_t input_pos_ = 0;
  bool eof_ = false;
  bool output_pending_ = false;
  std::size_t frame_remaining_ = 0;  // zstd's hint: 0 when the last frame is complete
  Sha256 sha256_;
  ReadArchive read_;
};

// Reads the whole archive and returns its totals (the verification pass).
ReadArchive ScanArchive(const std::string& path);

// Reads the whole archive at `path` and compares its SHA-256 and row count with the manifest's;
// throws pg::Error XX001 naming the file on a mismatch (58030 when it cannot be read).
void VerifyAgainstManifest(const Manifest& manifest, const std::string& path);

}  // namespace partitiond::archive
