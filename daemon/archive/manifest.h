// The JSON manifest written beside each archive: everything needed to verify the archive and to
// recreate and re-attach the table it came from without the source database's help.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace partitiond::archive {

inline constexpr int kManifestFormatVersion = 1;

struct ColumnDefinition {
  std::string name;
  std::string
      type;  // format_type(atttypid, atttypmod): "numeric(10,2)", "timestamp with time zone"
  bool not_null = false;
  std::optional<std::string> collation;  // when not the type's default, quoted as in SQL
  std::optional<std::string> generated;  // GENERATED ALWAYS AS (expr) STORED; not in the data
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string database;       // the config label (databases[].name)
  std::string database_name;  // current_database() on the server
  std::string parent_schema;
  std::string parent_table;
  std::string schema;  // of the archived partition
  std::string table;
  std::string key_column;
  std::string key_type;  // date | timestamp | timestamptz
  std::string from;      // bound literals as PostgreSQL prints them, or MINVALUE / MAXVALUE
  std::string to;
  std::vector<ColumnDefinition> columns;  // in table order
  std::string archive_file;               // file name, in the manifest's directory
  std::string copy_format = "text";
  std::string encoding = "UTF8";
  std::string compression = "zstd";
  int compression_level = 3;
  std::uint64_t rows = 0;
  std::uint64_t raw_bytes = 0;
  std::uint64_t compressed_bytes = 0;
  std::string sha256;  // of the archive file
  std::string partitiond_version;
  std::string server_version;
  std::string created_at;  // ISO 8601 UTC
};

// A JSON array of column objects ({"name", "type", "not_null", "collation", "generated"}), as
// in a manifest or from the archiver's catalog query. A missing or null "collation" or
// "generated" is absent. Throws nlohmann::json::exception on malformed input.
std::vector<ColumnDefinition> ParseColumns(std::string_view json_array);

std::string ToJson(const Manifest& manifest);
// Throws pg::Error (XX001) naming `source` when the text is not a manifest this version reads.
Manifest ParseManifest(const std::string& text, const std::string& source);

// Writes the manifest durably to "<path>.partial" (created exclusively, fsynced); removes it and
// throws when that fails.
void WriteManifestPartial(const std::string& path, const Manifest& manifest);
// Renames "<path>.partial" to `path` without replacing anything and fsyncs the directory; the
// .partial is removed when the rename fails.
void PublishManifest(const std::string& path);
Manifest ReadManifest(const std::string& path);

}  // namespace partitiond::archive
