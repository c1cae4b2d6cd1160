#include "daemon/archive/layout.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "daemon/archive/files.h"
#include "daemon/archive/writer.h"

namespace partitiond::archive {
namespace {

bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

}  // namespace

std::string EncodePathComponent(std::string_view name) {
  std::string out;
  for (const unsigned char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '-';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

ArchivePaths PrepareArchivePaths(const std::string& archive_dir, const std::string& database,
                                 const std::string& schema, const std::string& table,
                                 std::chrono::system_clock::time_point now) {
  ArchivePaths paths;
  EnsurePrivateDirectory(archive_dir);
  paths.directory = fmt::format("{}/{}/{}", archive_dir, EncodePathComponent(database),
                                EncodePathComponent(schema));
  EnsurePrivateDirectory(paths.directory);
  const std::string base =
      fmt::format("{}/{}.{:%Y%m%dT%H%M%SZ}", paths.directory, EncodePathComponent(table),
                  std::chrono::floor<std::chrono::seconds>(now));
  for (int n = 1;; ++n) {
    const std::string stem = n == 1 ? base : fmt::format("{}-{}", base, n);
    paths.archive = stem + kArchiveSuffix;
    paths.manifest = stem + kManifestSuffix;
    const bool taken = Exists(paths.archive) || Exists(paths.manifest) ||
                       Exists(paths.archive + kPartialSuffix) ||
                       Exists(paths.manifest + kPartialSuffix);
    if (!taken) return paths;
  }
}

std::vector<std::string> RemoveStalePartials(const std::string& directory,
                                             const std::string& table) {
  std::vector<std::string> removed;
  const std::string prefix = EncodePathComponent(table) + ".";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(kPartialSuffix)) continue;
    if (unlink(entry.path().c_str()) == 0) removed.push_back(entry.path().string());
  }
  return removed;
}

}  // namespace partitiond::archive
