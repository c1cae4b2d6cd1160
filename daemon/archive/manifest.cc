#include "daemon/archive/manifest.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "daemon/archive/error.h"
#include "daemon/archive/files.h"
#include "daemon/archive/writer.h"

namespace partitiond::archive {
namespace {

using nlohmann::json;

json ColumnToJson(const ColumnDefinition& column) {
  json out = {{"name", column.name}, {"type", column.type}, {"not_null", column.not_null}};
  if (column.collation) out["collation"] = *column.collation;
  if (column.generated) out["generated"] = *column.generated;
  return out;
}

// The member `key` as a string, or nullopt when it is missing or null (json_build_object
// writes SQL NULLs as null; ToJson leaves them out).
std::optional<std::string> OptionalString(const json& in, const char* key) {
  const auto it = in.find(key);
  if (it == in.end() || it->is_null()) return std::nullopt;
  return it->get<std::string>();
}

std::vector<ColumnDefinition> ColumnsFromJson(const json& in) {
  std::vector<ColumnDefinition> columns;
  for (const auto& c : in) {
    columns.push_back({.name = c.at("name"),
                       .type = c.at("type"),
                       .not_null = c.at("not_null"),
                       .collation = OptionalString(c, "collation"),
                       .generated = OptionalString(c, "generated")});
  }
  return columns;
}

}  // namespace

std::vector<ColumnDefinition> ParseColumns(std::string_view json_array) {
  return ColumnsFromJson(json::parse(json_array));
}

std::string ToJson(const Manifest& m) {
  json columns = json::array();
  for (const auto& c : m.columns) columns.push_back(ColumnToJson(c));
  const json out = {{"format_version", m.format_version},
                    {"database", m.database},
                    {"database_name", m.database_name},
                    {"parent", {{"schema", m.parent_schema}, {"table", m.parent_table}}},
                    {"partition", {{"schema", m.schema}, {"table", m.table}}},
                    {"key", {{"column", m.key_column}, {"type", m.key_type}}},
                    {"bounds", {{"from", m.from}, {"to", m.to}}},
                    {"columns", columns},
                    {"archive",
                     {{"file", m.archive_file},
                      {"copy_format", m.copy_format},
                      {"encoding", m.encoding},
                      {"compression", m.compression},
                      {"compression_level", m.compression_level},
                      {"rows", m.rows},
                      {"raw_bytes", m.raw_bytes},
                      {"compressed_bytes", m.compressed_bytes},
                      {"sha256", m.sha256}}},
                    {"partitiond_version", m.partitiond_version},
                    {"server_version", m.server_version},
                    {"created_at", m.created_at}};
  return out.dump(2) + "\n";
}

Manifest ParseManifest(const std::string& text, const std::string& source) {
  try {
    const json in = json::parse(text);
    Manifest m;
    m.format_version = in.at("format_version");
    if (m.format_version != kManifestFormatVersion) {
      throw CorruptArchive(source + ": manifest format_version " +
                           std::to_string(m.format_version) + " is not supported (expected " +
                           std::to_string(kManifestFormatVersion) + ")");
    }
    m.database = in.at("database");
    m.database_name = in.at("database_name");
    m.parent_schema = in.at("parent").at("schema");
    m.parent_table = in.at("parent").at("table");
    m.schema = in.at("partition").at("schema");
    m.table = in.at("partition").at("table");
    m.key_column = in.at("key").at("column");
    m.key_type = in.at("key").at("type");
    m.from = in.at("bounds").at("from");
    m.to = in.at("bounds").at("to");
    m.columns = ColumnsFromJson(in.at("columns"));
    const json& a = in.at("archive");
    m.archive_file = a.at("file");
    m.copy_format = a.at("copy_format");
    m.encoding = a.at("encoding");
    m.compression = a.at("compression");
    m.compression_level = a.at("compression_level");
    m.rows = a.at("rows");
    m.raw_bytes = a.at("raw_bytes");
    m.compressed_bytes = a.at("compressed_bytes");
    m.sha256 = a.at("sha256");
    m.partitiond_version = in.at("partitiond_version");
    m.server_version = in.at("server_version");
    m.created_at = in.at("created_at");
    if (m.copy_format != "text" || m.compression != "zstd") {
      throw CorruptArchive(source + ": unsupported archive format " + m.copy_format + "/" +
                           m.compression);
    }
    // The archive must sit beside the manifest: a path would let a manifest point anywhere.
    if (m.archive_file.empty() || m.archive_file.find('/') != std::string::npos) {
      throw CorruptArchive(source + ": archive.file must be a plain file name");
    }
    return m;
  } catch (const json::exception& e) {
    throw CorruptArchive(source + ": not a partitiond manifest: " + e.what());
  }
}

void WriteManifestPartial(const std::string& path, const Manifest& manifest) {
  const std::string partial = path + kPartialSuffix;
  const FileDescriptor file = CreateExclusive(partial);
  try {
    WriteAll(file, ToJson(manifest), partial);
    SyncFile(file, partial);
  } catch (...) {
    unlink(partial.c_str());
    throw;
  }
}

void PublishManifest(const std::string& path) {
  const std::string partial = path + kPartialSuffix;
  try {
    RenameNoReplace(partial, path);
  } catch (...) {
    unlink(partial.c_str());
    throw;
  }
  SyncDirectory(std::filesystem::path(path).parent_path().string());
}

Manifest ReadManifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot open", path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  return ParseManifest(text.str(), path);
}

}  // namespace partitiond::archive
