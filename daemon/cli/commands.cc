#include "daemon/cli/commands.h"

#include <fmt/format.h>

#include "build_info.h"
#include "daemon/cli/render.h"
#include "daemon/cli/restore.h"
#include "daemon/cli/status.h"
#include "daemon/common/logging.h"
#include "daemon/config/identifier.h"
#include "daemon/maintenance/pass.h"
#include "daemon/runtime/controller.h"

namespace partitiond::cli {
namespace {

constexpr int kExitUsage = 2;

// The databases a command acts on, narrowed by --database and --table; throws UsageError when a
// filter names nothing in the config.
std::vector<const config::DatabaseConfig*> SelectDatabases(const config::Config& config,
                                                           const Args& args,
                                                           maintenance::PassOptions& options) {
  if (args.table) {
    try {
      options.only_table = config::ParseQualifiedName(*args.table);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--table: ") + e.what());
    }
  }
  std::vector<const config::DatabaseConfig*> selected;
  for (const auto& db : config.databases) {
    if (args.database && db.name != *args.database) continue;
    bool has_table = !options.only_table;
    for (const auto& t : db.tables) has_table = has_table || t.name == *options.only_table;
    if (has_table) selected.push_back(&db);
  }
  if (selected.empty()) {
    throw UsageError(fmt::format("no configured database{}{} matches", args.database ? " " : "",
                                 args.database.value_or("")) +
                     (args.table ? " with table " + *args.table : ""));
  }
  return selected;
}

int PlanOrApply(const config::Config& config, const Args& args, Env& env, std::ostream& out) {
  maintenance::PassOptions options{.apply = args.command == "once",
                                   .now_is_explicit = args.now.has_value()};
  const auto databases = SelectDatabases(config, args, options);
  const auto now = args.now.value_or(std::chrono::floor<std::chrono::seconds>(env.Now()));
  std::vector<maintenance::DatabaseReport> reports;
  for (const auto* db : databases) {
    reports.push_back(
        RunToCompletion(maintenance::RunPass(*db, config.maintenance, env, now, options)));
  }
  out << (args.format == Format::kJson ? RenderJson(reports, now) : RenderText(reports, now));
  return maintenance::ExitCode(reports);
}

int CheckConfig(const config::Config& config, const Args& args, Env& env, std::ostream& out) {
  size_t tables = 0;
  for (const auto& db : config.databases) tables += db.tables.size();
  out << fmt::format("{}: valid ({} database(s), {} table(s))\n", config.source,
                     config.databases.size(), tables);
  if (!args.connect) return 0;
  int code = 0;
  for (const auto& db : config.databases) {
    const auto report = RunToCompletion(maintenance::RunPass(
        db, config.maintenance, env, std::chrono::floor<std::chrono::seconds>(env.Now()),
        {.apply = false}));
    if (report.error) {
      out << fmt::format("database {}: {}{}\n", db.name,
                         report.unreachable ? "cannot connect: " : "", *report.error);
      code = report.unreachable ? 3 : std::max(code, kExitUsage);
      continue;
    }
    for (const auto& t : report.tables) {
      if (t.snapshot.error) {
        out << fmt::format("database {}: {}\n", db.name, *t.snapshot.error);
        if (code == 0) code = kExitUsage;
      } else {
        out << fmt::format("database {}: table {} ok ({} partitions)\n", db.name,
                           t.snapshot.configured.ToString(), t.snapshot.partitions.size());
      }
    }
  }
  return code;
}

}  // namespace

int RunCommand(const Args& args, Env& env, std::ostream& out, std::ostream& err) {
  if (args.command == "version") {
    out << "partitiond " << kVersion << "\n";
    return 0;
  }
  if (args.command == "help") {
    out << UsageText();
    return 0;
  }
  try {
    config::Config config = config::LoadConfigFile(args.config_path);
    ConfigureLogging(config.log.level, config.log.format == config::LogFormat::kJson);
    if (args.command == "check-config") return CheckConfig(config, args, env, out);
    if (args.command == "status") return Status(config, args, env, out);
    if (args.command == "restore") return Restore(config, args, env, out);
    if (args.command == "run") {
      runtime::Controller controller(std::move(config), MakeSystemEnv(), args.now);
      return controller.Run();
    }
    if (args.command == "plan" || args.command == "once") {
      return PlanOrApply(config, args, env, out);
    }
    throw UsageError("unknown command '" + args.command + "'");
  } catch (const config::ConfigError& e) {
    err << e.what() << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    err << "partitiond: " << e.what() << "\n";
    return kExitUsage;
  }
}

int RunGuarded(const std::function<int()>& command, std::ostream& err) noexcept {
  try {
    try {
      return command();
    } catch (...) {
      err << "partitiond: internal error: " << DescribeException(std::current_exception()) << "\n";
    }
  } catch (...) {
    // Even reporting failed (no memory, closed stderr): the exit code still tells.
  }
  return kExitInternalError;
}

}  // namespace partitiond::cli
