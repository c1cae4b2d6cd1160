// A database password reaches partitiond only through the environment (PGPASSWORD; passwords in
// the config are rejected, see tests/hostile/configs). Whatever happens — wrong password, server
// unreachable, success — the password appears in no output, log line (text or JSON, debug level),
// error, audit row, metric or server log line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "daemon/pg/error.h"
#include "tests/support/daemon_process.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kWrongPassword = "Wr0ng-Hostile-Secret";
constexpr const char* kRightPassword = "R1ght-Hostile-Secret";
constexpr std::chrono::seconds kWait{30};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sets an environment variable for the life of the object (children inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// The port in a "metrics listening on 127.0.0.1:PORT" log line (text or JSON).
std::string Port(const std::string& line) {
  std::smatch match;
  std::regex_search(line, match, std::regex(R"(127\.0\.0\.1:(\d+))"));
  return match[1];
}

class HostileSecretsTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    role_ = dbname_ + "_pw";
    conn_->Exec(
        "CREATE SCHEMA app; CREATE TABLE app.events (at timestamptz NOT NULL) "
        "PARTITION BY RANGE (at)");
    conn_->Exec("SET password_encryption = 'scram-sha-256'; CREATE ROLE " +
                conn_->QuoteIdentifier(role_) + " LOGIN SUPERUSER PASSWORD " +
                conn_->QuoteLiteral(kRightPassword));
    RequirePasswordFor(role_);
    conninfo_ = PgCluster::Shared().ConnInfo(dbname_) + " user=" + role_;
  }

  // The shared cluster trusts local connections; this role alone must authenticate with its
  // password (a rule ahead of the others in pg_hba.conf), effective once the server reloaded.
  void RequirePasswordFor(const std::string& role) {
    const std::string hba = QueryText("SHOW hba_file");
    const std::string rules = ReadAll(hba);
    std::ofstream(hba, std::ios::trunc) << "local all " << role << " scram-sha-256\n" << rules;
    conn_->Exec("SELECT pg_reload_conf()");
    // The reload is asynchronous: connect without a password until the server refuses it.
    const std::string conninfo = PgCluster::Shared().ConnInfo(dbname_) + " user=" + role;
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    bool refused = false;
    while (!refused && std::chrono::steady_clock::now() < deadline) {
      try {
        pg::Connection::Open(conninfo, {.application_name = "partitiond-test"});
      } catch (const pg::Error&) {
        refused = true;
      }
    }
    ASSERT_TRUE(refused) << "pg_hba.conf rule for " << role << " never took effect";
  }

  // A config for this test's database as role_, with the given log settings.
  std::string Config(const std::string& log_yaml, const std::string& conninfo) {
    return WriteFile("secrets.yaml", "log: " + log_yaml +
                                         "\nmetrics: { listen: \"127.0.0.1:0\" }\n"
                                         "maintenance: { lock_timeout: 100ms, max_attempts: 2 }\n"
                                         "databases:\n  - name: test\n    conninfo: \"" +
                                         conninfo +
                                         "\"\n    tables:\n"
                                         "      - { name: app.events, interval: 1 day }\n");
  }

  struct DaemonRun {
    std::string metrics;  // one scrape of /metrics
    std::string output;   // everything the daemon printed, up to its exit
  };
  // Runs `partitiond run` with PGPASSWORD=`password` until each line in `awaited` has appeared
  // in order, scrapes /metrics, then stops it with SIGTERM (which must exit 0).
  DaemonRun RunDaemon(const std::string& config, const char* password,
                      const std::vector<std::string>& awaited) {
    const ScopedEnv env("PGPASSWORD", password);
    DaemonProcess daemon("secrets", {"run", "--config", config});
    const auto listening =
        daemon.WaitForLine(std::regex(R"(metrics listening on 127\.0\.0\.1:(\d+))"), kWait);
    EXPECT_TRUE(listening) << daemon.Output();
    bool seen = listening.has_value();
    for (const std::string& line : awaited) {
      seen = seen && daemon.WaitForLine(line, kWait).has_value();
    }
    EXPECT_TRUE(seen) << daemon.Output();
    DaemonRun run;
    if (!seen) return run;
    const std::string scrape = tmp_dir_ + "/scrape.txt";
    EXPECT_EQ(RunShell("curl -sf http://127.0.0.1:" + Port(*listening) + "/metrics > " +
                       ShellQuote(scrape)),
              0);
    run.metrics = ReadAll(scrape);
    daemon.Signal(SIGTERM);
    EXPECT_EQ(daemon.WaitExit(kWait), 0);
    run.output = daemon.Output();
    return run;
  }

  void ExpectNoSecretInServerLog(const char* secret) {
    EXPECT_THAT(ReadAll(PgCluster::Shared().server_log()), Not(HasSubstr(secret)));
  }

  std::string role_;
  std::string conninfo_;
};

TEST_F(HostileSecretsTest, AWrongOrUnusablePasswordIsNeverPrinted) {
  const std::string wrapper = std::string("env PGPASSWORD=") + kWrongPassword;
  const std::string unreachable = "host=/nonexistent port=1 dbname=x connect_timeout=2";
  for (const std::string log : {"{ level: debug, format: json }", "{ level: trace }"}) {
    for (const std::string& conninfo : {conninfo_, unreachable}) {
      const std::string config = Config(log, conninfo);
      for (const std::string command :
           {"once", "plan --format json", "check-config --connect", "status --format json"}) {
        const CliResult r = RunCli(command + " --config " + config, wrapper);
        const std::string context = command + " " + log + " " + conninfo;
        EXPECT_EQ(r.exit_code, 3) << context << ": " << r.out << r.err;
        EXPECT_THAT(r.out + r.err, Not(HasSubstr(kWrongPassword))) << context;
        if (conninfo == conninfo_) {
          // The failure is the real one, named as libpq names it, with the role but no secret.
          EXPECT_THAT(r.out + r.err, HasSubstr("password authentication failed for user"))
              << context;
          EXPECT_THAT(r.out + r.err, HasSubstr(role_)) << context;
        }
      }
    }
  }
  ExpectNoSecretInServerLog(kWrongPassword);
}

TEST_F(HostileSecretsTest, TheRightPasswordWorksAndStaysOutOfOutputAuditMetricsAndLogs) {
  const std::string config = Config("{ level: trace, format: json }", conninfo_);
  const CliResult once = RunCli("once --config " + config + " --now 2026-11-25T00:00:00Z",
                                std::string("env PGPASSWORD=") + kRightPassword);
  ASSERT_EQ(once.exit_code, 0) << once.out << once.err;
  EXPECT_THAT(once.out + once.err, Not(HasSubstr(kRightPassword)));
  EXPECT_EQ(Partitions("app.events").size(), 4u);
  EXPECT_GT(QueryInt("SELECT count(*) FROM partitiond.audit"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit a WHERE a::text LIKE '%" +
                     std::string(kRightPassword) + "%'"),
            0);

  // The daemon: a pass with the right password, then metrics scraped.
  const DaemonRun run = RunDaemon(config, kRightPassword, {"pass complete"});
  EXPECT_THAT(run.metrics, HasSubstr("partitiond_database_up{database=\"test\"} 1"));
  EXPECT_THAT(run.metrics, Not(HasSubstr(kRightPassword)));
  EXPECT_THAT(run.output, Not(HasSubstr(kRightPassword)));
  ExpectNoSecretInServerLog(kRightPassword);
}

TEST_F(HostileSecretsTest, TheDaemonRetryingAWrongPasswordNeverPrintsIt) {
  const std::string config = Config("{ level: trace, format: json }", conninfo_);
  // Two failed attempts: the first connect and one reconnect after the backoff.
  const DaemonRun run = RunDaemon(config, kWrongPassword,
                                  {"cannot connect (attempt 1)", "cannot connect (attempt 2)"});
  EXPECT_THAT(run.metrics, HasSubstr("partitiond_database_up{database=\"test\"} 0"));
  EXPECT_THAT(run.metrics, Not(HasSubstr(kWrongPassword)));
  EXPECT_THAT(run.output, HasSubstr("password authentication failed"));
  EXPECT_THAT(run.output, Not(HasSubstr(kWrongPassword)));
  ExpectNoSecretInServerLog(kWrongPassword);
}

}  // namespace
}  // namespace partitiond::testing
