#include "daemon/cli/args.h"

#include <set>

#include "daemon/catalog/snapshot.h"

namespace partitiond::cli {
namespace {

const std::set<std::string> kCommands = {"run",    "once",    "plan",    "check-config",
                                         "status", "restore", "version", "help"};

std::string TakeValue(const std::vector<std::string>& argv, size_t& i) {
  if (i + 1 >= argv.size()) throw UsageError(argv[i] + " needs a value");
  return argv[++i];
}

}  // namespace

std::optional<std::chrono::sys_seconds> ParseTimestamp(std::string_view text) {
  std::string literal(text);
  if (literal.size() > 10 && (literal[10] == 'T' || literal[10] == 't')) literal[10] = ' ';
  if (!literal.empty() && (literal.back() == 'Z' || literal.back() == 'z')) {
    literal.back() = '+';
    literal += "00";
  } else if (literal.size() > 10 && literal.find_first_of("+-", 11) == std::string::npos) {
    literal += "+00";
  }
  // The catalog's literal parser already understands exactly this ISO shape.
  const auto value = catalog::ParseKeyLiteral(literal, catalog::KeyType::kTimestamptz);
  if (!value) return std::nullopt;
  return std::chrono::sys_seconds(std::chrono::duration_cast<std::chrono::seconds>(*value));
}

Args ParseArgs(const std::vector<std::string>& argv) {
  Args args;
  if (argv.empty()) throw UsageError("no command given");
  args.command = argv[0];
  if (args.command == "--help" || args.command == "-h") args.command = "help";
  if (args.command == "--version") args.command = "version";
  if (!kCommands.contains(args.command)) throw UsageError("unknown command '" + args.command + "'");
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--config") {
      args.config_path = TakeValue(argv, i);
    } else if (arg == "--now") {
      const std::string value = TakeValue(argv, i);
      args.now = ParseTimestamp(value);
      if (!args.now) throw UsageError("--now: not an ISO 8601 timestamp: '" + value + "'");
    } else if (arg == "--database") {
      args.database = TakeValue(argv, i);
    } else if (arg == "--table") {
      args.table = TakeValue(argv, i);
    } else if (arg == "--format") {
      const std::string value = TakeValue(argv, i);
      if (value != "text" && value != "json") throw UsageError("--format must be text or json");
      args.format = value == "json" ? Format::kJson : Format::kText;
    } else if (arg == "--connect") {
      args.connect = true;
    } else if (arg == "--no-attach") {
      args.no_attach = true;
    } else if (arg.starts_with("--")) {
      throw UsageError("unknown option '" + arg + "'");
    } else {
      args.positional.push_back(arg);
    }
  }
  if (args.command == "restore" && args.positional.size() != 1) {
    throw UsageError("restore needs exactly one MANIFEST");
  }
  const bool needs_config = args.command != "version" && args.command != "help";
  if (needs_config && args.config_path.empty()) {
    throw UsageError(args.command + " needs --config FILE");
  }
  return args;
}

std::string UsageText() {
  return R"(usage:
  partitiond run          --config FILE [--now TS]
  partitiond once         --config FILE [--now TS] [--database NAME] [--table SCHEMA.TABLE]
  partitiond plan         --config FILE [--now TS] [--format text|json] [--database NAME] [--table SCHEMA.TABLE]
  partitiond status       --config FILE [--now TS] [--format text|json] [--database NAME]
  partitiond check-config --config FILE [--connect]
  partitiond restore      --config FILE [--no-attach] MANIFEST
  partitiond version
--now takes ISO 8601 (e.g. 2027-03-01T00:00:00Z) and replaces the clock.
exit codes: 0 success; 1 some action failed; 2 invalid config or usage; 3 cannot connect
)";
}

}  // namespace partitiond::cli
