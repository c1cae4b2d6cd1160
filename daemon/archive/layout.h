// Where archives live:
//   <archive_dir>/<database>/<schema>/<table>.<YYYYMMDD>T<HHMMSS>Z[-<n>].copy.zst
//   ... and <same stem>.manifest.json beside it
// <database> is the config label; names are percent-encoded (all but A-Z a-z 0-9 _ -), so any
// identifier is one safe path component. Every archive attempt gets a stem of its own: archives
// of the same partition never overwrite each other.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace partitiond::archive {

inline constexpr const char* kArchiveSuffix = ".copy.zst";
inline constexpr const char* kManifestSuffix = ".manifest.json";

std::string EncodePathComponent(std::string_view name);

struct ArchivePaths {
  std::string directory;
  std::string archive;   // full path of the .copy.zst
  std::string manifest;  // full path of the .manifest.json
};

// Creates the directories (mode 0700; see EnsurePrivateDirectory) and picks a stem whose files do
// not exist yet. Throws pg::Error (58030) when the directory cannot be created.
ArchivePaths PrepareArchivePaths(const std::string& archive_dir, const std::string& database,
                                 const std::string& schema, const std::string& table,
                                 std::chrono::system_clock::time_point now);

// Removes "<table>.*.partial" files a killed process left in `directory`; returns their paths.
std::vector<std::string> RemoveStalePartials(const std::string& directory,
                                             const std::string& table);

}  // namespace partitiond::archive
