// Writes one archive file: bytes given to Write() are zstd-compressed into "<path>.partial"
// (created exclusively, mode 0600) while a SHA-256 of the compressed bytes is kept. Finish() ends
// the zstd frame, fsyncs and closes the file, which keeps its .partial name so that it can be
// verified before anything final-named exists. Publish() then puts the archive and its manifest
// in place, in an order that never shows a final-named manifest beside an archive that is not
// in place (see Publish). Until Publish() succeeds, destruction removes the partial file, so a
// failed archive leaves nothing behind (a killed process leaves only .partial files, which
// RemoveStalePartials in layout.h cleans). Errors throw pg::Error (58030, naming the file).
// Not copyable; not thread-safe: one thread at a time (any thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/archive/files.h"
#include "daemon/archive/manifest.h"
#include "daemon/archive/sha256.h"

typedef struct ZSTD_CCtx_s ZSTD_CCtx;

namespace partitiond::archive {

inline constexpr int kCompressionLevel = 3;
inline constexpr const char* kPartialSuffix = ".partial";

struct WrittenArchive {
  std::uint64_t raw_bytes = 0;         // what was given to Write()
  std::uint64_t compressed_bytes = 0;  // the file's size
  std::string sha256;                  // of the file
};

class ArchiveWriter {
 public:
  explicit ArchiveWriter(std::string path);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  void Write(std::string_view data);
  // Ends the frame, fsyncs and closes the .partial. Call once, after the last Write().
  WrittenArchive Finish();
  // After Finish() (and the caller's verification of partial_path()): writes `manifest` to
  // "<manifest_path>.partial" and fsyncs it, renames the archive into place (never replacing a
  // file), fsyncs the directory, renames the manifest into place and fsyncs the directory again.
  // A crash at any point leaves at most a final-named archive without a final-named manifest.
  void Publish(const std::string& manifest_path, const Manifest& manifest);

  const std::string& partial_path() const { return partial_path_; }

 private:
  // Compresses `input` with `directive` (continue or end) and writes what zstd produces; returns
  // zstd's "bytes still to flush" (0 once an end directive is complete).
  std::size_t Compress(std::string_view input, int directive);

  std::string path_;
  std::string partial_path_;
  FileDescriptor file_;
  std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> context_;
  std::string output_;  // zstd's recommended output buffer
  Sha256 sha256_;
  WrittenArchive written_;
  bool committed_ = false;
};

}  // namespace partitiond::archive
