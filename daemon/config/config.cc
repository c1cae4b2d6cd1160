#include "daemon/config/config.h"

#include <optional>

#include "daemon/config/duration.h"
#include "daemon/config/file.h"
#include "daemon/config/limits.h"
#include "daemon/config/listen_address.h"
#include "daemon/config/sections.h"
#include "daemon/config/yaml_reader.h"

namespace partitiond::config {
namespace {

using detail::Field;
using detail::Mapping;
using detail::Source;

YAML::Node LoadDocument(const Source& source, std::string_view text) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    source.Fail(e.mark, e.msg);
  }
  if (documents.empty()) return YAML::Node();
  if (documents.size() > 1) source.Fail(documents[1].Mark(), "expected a single YAML document");
  return documents.front();
}

LogConfig ParseLog(const Field& field) {
  const Mapping map(field, "log", {"level", "format"});
  LogConfig log;
  if (const std::optional<Field> level = map.Find("level")) {
    log.level = level->String();
    if (log.level != "trace" && log.level != "debug" && log.level != "info" &&
        log.level != "warn" && log.level != "error") {
      level->Fail("level: expected trace, debug, info, warn or error, got \"" + log.level + "\"");
    }
  }
  if (const std::optional<Field> format = map.Find("format")) {
    log.format = format->OneOf<LogFormat>({{"text", LogFormat::kText}, {"json", LogFormat::kJson}});
  }
  return log;
}

// The first line of the file, without its line break; fails at `field` when unreadable or empty.
std::string ReadSecretFile(const Field& field) {
  const std::string path = field.String();
  std::string text;
  if (const std::optional<std::string> reason = detail::ReadRegularFile(path, text)) {
    field.Fail(field.key() + ": cannot read " + path + ": " + *reason);
  }
  std::string secret = text.substr(0, text.find('\n'));
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) field.Fail(field.key() + ": " + path + " holds an empty password");
  return secret;
}

MetricsConfig ParseMetrics(const Field& field) {
  const Mapping map(field, "metrics", {"listen", "basic_auth"});
  MetricsConfig metrics;
  if (const std::optional<Field> listen = map.Find("listen")) {
    metrics = listen->Parse(ParseListenAddress);
  }
  if (const std::optional<Field> auth = map.Find("basic_auth")) {
    const Mapping auth_map(*auth, "metrics.basic_auth", {"username", "password_file"});
    metrics.basic_auth_username = auth_map.Require("username").String();
    metrics.basic_auth_password = ReadSecretFile(auth_map.Require("password_file"));
  }
  return metrics;
}

// Reads the duration, if written, and holds it to [min, max]: "NAME (2d) must be between 1s and
// 1d", or "NAME (2m) must be at most 1m" when min is zero (ParseDuration already refuses zero
// unless `allow_zero`).
void ReadDuration(const std::optional<Field>& field, std::chrono::milliseconds& out,
                  std::chrono::milliseconds min, std::chrono::milliseconds max,
                  bool allow_zero = false) {
  if (!field) return;
  out =
      field->Parse([allow_zero](std::string_view text) { return ParseDuration(text, allow_zero); });
  const std::string what = field->key() + " (" + FormatDuration(out) + ")";
  if (min > std::chrono::milliseconds::zero() && (out < min || out > max)) {
    field->Fail(what + " must be between " + FormatDuration(min) + " and " + FormatDuration(max));
  }
  if (out > max) field->Fail(what + " must be at most " + FormatDuration(max));
}

// The field to blame for a conflict between two settings: the first if it was written, else the
// second (a conflict needs at least one of them written, the defaults agree with each other).
const Field& Blame(const std::optional<Field>& first, const std::optional<Field>& second) {
  return first ? *first : *second;
}

MaintenanceConfig ParseMaintenance(const Field& field) {
  const Mapping map(field, "maintenance",
                    {"interval", "jitter", "lock_timeout", "statement_timeout", "max_attempts",
                     "archive_timeout"});
  MaintenanceConfig m;
  const std::optional<Field> interval = map.Find("interval");
  const std::optional<Field> jitter = map.Find("jitter");
  const std::optional<Field> lock_timeout = map.Find("lock_timeout");
  const std::optional<Field> statement_timeout = map.Find("statement_timeout");
  constexpr std::chrono::milliseconds kNoMin(0);
  ReadDuration(interval, m.interval, kMinMaintenanceInterval, kMaxMaintenanceInterval);
  ReadDuration(jitter, m.jitter, kNoMin, kMaxMaintenanceInterval, /*allow_zero=*/true);
  ReadDuration(lock_timeout, m.lock_timeout, kNoMin, kMaxLockTimeout);
  ReadDuration(statement_timeout, m.statement_timeout, kNoMin, kMaxStatementTimeout);
  if (const std::optional<Field> attempts = map.Find("max_attempts")) {
    m.max_attempts = static_cast<int>(attempts->Integer(1, kMaxAttempts));
  }
  const std::optional<Field> archive_timeout = map.Find("archive_timeout");
  ReadDuration(archive_timeout, m.archive_timeout, kMinArchiveTimeout, kMaxArchiveTimeout);
  if (m.lock_timeout >= m.archive_timeout) {
    Blame(archive_timeout, lock_timeout)
        .Fail("archive_timeout (" + FormatDuration(m.archive_timeout) +
              ") must be greater than lock_timeout (" + FormatDuration(m.lock_timeout) + ")");
  }
  if (m.jitter > m.interval) {
    Blame(jitter, interval)
        .Fail("jitter (" + FormatDuration(m.jitter) + ") must not exceed interval (" +
              FormatDuration(m.interval) + ")");
  }
  if (m.lock_timeout >= m.statement_timeout) {
    Blame(lock_timeout, statement_timeout)
        .Fail("lock_timeout (" + FormatDuration(m.lock_timeout) +
              ") must be less than statement_timeout (" + FormatDuration(m.statement_timeout) +
              ")");
  }
  return m;
}

[[noreturn]] void FailToRead(const std::string& path, const std::string& reason) {
  throw ConfigError(path + ": cannot read: " + reason);
}

}  // namespace

std::string_view ToString(RetentionAction action) {
  switch (action) {
    case RetentionAction::kDrop:
      return "drop";
    case RetentionAction::kDetach:
      return "detach";
    case RetentionAction::kArchive:
      return "archive";
  }
  return "unknown";
}

Config ParseConfig(std::string_view yaml_text, const std::string& source_name) {
  const Source source(source_name);
  const Field root(source, "", LoadDocument(source, yaml_text), YAML::Mark());
  const Mapping map(root, "the top level", {"log", "metrics", "maintenance", "databases"});
  Config config;
  config.source = source_name;
  if (const std::optional<Field> log = map.Find("log")) config.log = ParseLog(*log);
  if (const std::optional<Field> metrics = map.Find("metrics")) {
    config.metrics = ParseMetrics(*metrics);
  }
  if (const std::optional<Field> maintenance = map.Find("maintenance")) {
    config.maintenance = ParseMaintenance(*maintenance);
  }
  config.databases = detail::ParseDatabases(map.Require("databases"));
  return config;
}

Config LoadConfigFile(const std::string& path) {
  std::string text;
  if (const std::optional<std::string> reason = detail::ReadRegularFile(path, text)) {
    FailToRead(path, *reason);
  }
  return ParseConfig(text, path);
}

}  // namespace partitiond::config
