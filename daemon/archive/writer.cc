#include "daemon/archive/writer.h"

#include <unistd.h>
#include <zstd.h>

#include <filesystem>

#include "daemon/archive/error.h"

namespace partitiond::archive {

ArchiveWriter::ArchiveWriter(std::string path)
    : path_(std::move(path)),
      partial_path_(path_ + kPartialSuffix),
      file_(CreateExclusive(partial_path_)),
      context_(ZSTD_createCCtx(), &ZSTD_freeCCtx),
      output_(ZSTD_CStreamOutSize(), '\0') {
  if (!context_) throw FileError("out of memory compressing", path_, ENOMEM);
  ZSTD_CCtx_setParameter(context_.get(), ZSTD_c_compressionLevel, kCompressionLevel);
  ZSTD_CCtx_setParameter(context_.get(), ZSTD_c_checksumFlag, 1);
  // One compression worker thread inside libzstd: compressing overlaps with receiving the next
  // rows from the server, as in a `psql | zstd` pipeline. Without multithreading support in the
  // library this fails and compression simply stays on the calling thread.
  ZSTD_CCtx_setParameter(context_.get(), ZSTD_c_nbWorkers, 1);
  // Small jobs bound the buffers the worker holds (its default at level 3 is several MiB each).
  ZSTD_CCtx_setParameter(context_.get(), ZSTD_c_jobSize, 1 << 20);
}

ArchiveWriter::~ArchiveWriter() {
  if (!committed_) unlink(partial_path_.c_str());
}

void ArchiveWriter::Write(std::string_view data) {
  written_.raw_bytes += data.size();
  Compress(data, ZSTD_e_continue);
}

std::size_t ArchiveWriter::Compress(std::string_view input, int directive) {
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  std::size_t remaining = 0;
  do {
    ZSTD_outBuffer out{output_.data(), output_.size(), 0};
    remaining =
        ZSTD_compressStream2(context_.get(), &out, &in, static_cast<ZSTD_EndDirective>(directive));
    if (ZSTD_isError(remaining)) {
      throw pg::Error(
          "zstd compression failed for " + partial_path_ + ": " + ZSTD_getErrorName(remaining),
          kIoError);
    }
    const std::string_view produced(output_.data(), out.pos);
    if (!produced.empty()) {
      WriteAll(file_, produced, partial_path_);
      sha256_.Update(produced);
      written_.compressed_bytes += produced.size();
    }
  } while (in.pos < in.size || (directive == ZSTD_e_end && remaining != 0));
  return remaining;
}

WrittenArchive ArchiveWriter::Finish() {
  Compress({}, ZSTD_e_end);
  SyncFile(file_, partial_path_);
  const int fd = file_.Release();
  if (close(fd) != 0) throw FileError("cannot close", partial_path_, errno);
  written_.sha256 = sha256_.HexDigest();
  return written_;
}

void ArchiveWriter::Publish(const std::string& manifest_path, const Manifest& manifest) {
  const std::string directory = std::filesystem::path(path_).parent_path().string();
  // The manifest's content is durable before either name appears; its final name comes last,
  // once the archive's rename is durable, so a final-named manifest always has its archive.
  WriteManifestPartial(manifest_path, manifest);
  try {
    RenameNoReplace(partial_path_, path_);
  } catch (...) {
    unlink((manifest_path + kPartialSuffix).c_str());
    throw;
  }
  committed_ = true;
  SyncDirectory(directory);
  PublishManifest(manifest_path);
}

}  // namespace partitiond::archive
