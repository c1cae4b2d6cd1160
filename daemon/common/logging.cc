#include "daemon/common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <memory>

#include "daemon/common/json_text.h"

namespace partitiond {
namespace {

std::atomic<bool> json_mode{false};

// Marks a payload that already is the inside of a JSON object (LogEvent's fields).
constexpr char kPreRendered = '\x1e';

// %j: the inside of the line's JSON object after time and level: either LogEvent's pre-rendered
// fields, or "message": with the payload escaped, so a quote or newline in a server's error
// message cannot break the line apart.
class JsonPayload final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string body = !payload.empty() && payload.front() == kPreRendered
                           ? std::string(payload.substr(1))
                           : "\"message\":" + DumpJson(std::string(payload));
    dest.append(body.data(), body.data() + body.size());
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonPayload>();
  }
};

}  // namespace

void ConfigureLogging(const std::string& level, bool json) {
  auto logger = spdlog::get("partitiond");
  if (!logger) {
    logger = spdlog::stderr_logger_mt("partitiond");
    spdlog::set_default_logger(logger);
  }
  logger->set_level(spdlog::level::from_str(level));
  json_mode = json;
  if (json) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonPayload>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%j})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
}

void LogEvent(spdlog::level::level_enum level, const std::string& message,
              const LogFields& fields) {
  if (!json_mode) {
    spdlog::log(level, "{}", message);
    return;
  }
  // Server text may be any bytes: DumpJson replaces what is not UTF-8, never throwing.
  nlohmann::json object = {{"message", message}};
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) object[key] = value;
  };
  put("database", fields.database);
  put("table", fields.table);
  put("action", fields.action);
  put("partition", fields.partition);
  if (fields.duration_ms) object["duration_ms"] = *fields.duration_ms;
  put("error", fields.error);
  const std::string text = DumpJson(object);
  // Strip the braces: the pattern supplies them around time, level and these fields.
  spdlog::log(level, "{}{}", kPreRendered, std::string_view(text).substr(1, text.size() - 2));
}

std::string DescribeException(std::exception_ptr failure) noexcept {
  if (!failure) return "no exception";
  try {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
      return "unknown exception (not a std::exception)";
    }
  } catch (...) {
    // Copying the text failed (out of memory): say what can be said without allocating.
    return {};
  }
}

}  // namespace partitiond
