// `partitiond run` as a real process against real PostgreSQL: leadership among several daemons,
// takeover after kill -9 and after SIGSTOP (a frozen leader keeps its session), a server restart
// in the middle of a pass, a streaming standby and its promotion, SIGHUP with a broken config and
// with a rotated metrics password, SIGTERM in the middle of an action.
//
// Daemons run with a 1 s interval and no jitter. Tests wait for the daemon's own log lines (every
// wait blocks in poll() on its output and has a generous timeout that only bounds a hang); the
// required bounds (takeover within an interval, exit within 10 s) are asserted separately.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/daemon_process.h"
#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr std::chrono::milliseconds kInterval = 1s;
// How long a wait for the daemon may take before the test gives up: far beyond any pass here, so
// that a loaded machine slows the test down instead of failing it.
constexpr std::chrono::milliseconds kWait = 30s;

constexpr const char* kLog = "{ level: debug }";
std::string Maintenance(int max_attempts) {
  return "{ interval: 1s, jitter: 0s, lock_timeout: 100ms, statement_timeout: 30s, "
         "max_attempts: " +
         std::to_string(max_attempts) + " }";
}

// Monthly, three ahead; at kNow that is 2026-11 .. 2027-02.
constexpr const char* kMonthlyEvents =
    "      - name: app.events\n"
    "        interval: 1 month\n"
    "        premake: 3\n";
constexpr const char* kNow = "2026-11-25T10:00:00Z";

const std::regex kAnyPass(R"(database test: pass complete \()");
const std::regex kActingPass(
    R"(database test: pass complete \(leader\): [1-9][0-9]* action\(s\), 0 table\(s\) failed)");
const std::regex kCleanLeaderPass(
    R"(database test: pass complete \(leader\): [0-9]+ action\(s\), 0 table\(s\) failed)");
const std::regex kObservingPass(
    R"(database test: pass complete \(not leader, observing\): 0 action\(s\), 0 table\(s\) failed)");
const std::regex kStandbyPass(
    R"(database test: pass complete \(standby, observing\): 0 action\(s\), 0 table\(s\) failed)");

// A log line at level warning or above ("<timestamp> <level> <message>").
const std::regex kProblem(R"(^\S+ (warning|error|critical) )");

bool Matches(const std::string& line, const std::regex& pattern) {
  return std::regex_search(line, pattern);
}

std::vector<std::string> Matching(const std::vector<std::string>& lines, std::size_t from,
                                  std::size_t to, const std::regex& pattern) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < std::min(to, lines.size()); ++i) {
    if (Matches(lines[i], pattern)) out.push_back(lines[i]);
  }
  return out;
}

std::vector<std::string> Matching(const DaemonProcess& daemon, const std::regex& pattern) {
  return Matching(daemon.lines(), 0, daemon.lines().size(), pattern);
}

class DaemonTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    CreateMonthlyEvents();
  }

  std::unique_ptr<DaemonProcess> StartDaemon(const std::string& label, const std::string& config,
                                             const std::string& now = kNow) {
    return std::make_unique<DaemonProcess>(
        label, std::vector<std::string>{"run", "--config", config, "--now", now});
  }

  // A config whose one database (label "test") is `conninfo`, with the `tables:` list given
  // (indented by 6 spaces). Metrics listen on a free port, so several daemons can run at once.
  static std::string ConfigText(const std::string& conninfo, const std::string& tables_yaml,
                                int max_attempts = 3) {
    return "log: " + std::string(kLog) +
           "\nmetrics: { listen: \"127.0.0.1:0\" }\nmaintenance: " + Maintenance(max_attempts) +
           "\ndatabases:\n  - name: test\n    conninfo: \"" + conninfo + "\"\n    tables:\n" +
           tables_yaml;
  }
  // partitiond.yaml with basic auth on /metrics (user prom, the password in `password_file`) and
  // the given `databases:` entries (indented by 2 spaces).
  std::string WriteConfigWithMetricsAuth(const std::string& password_file,
                                         const std::string& databases_yaml) {
    return WriteFile("partitiond.yaml",
                     "log: " + std::string(kLog) +
                         "\nmetrics: { listen: \"127.0.0.1:0\", basic_auth: { username: prom, "
                         "password_file: \"" +
                         password_file + "\" } }\nmaintenance: " + Maintenance(3) +
                         "\ndatabases:\n" + databases_yaml);
  }
  // The config for this test's database in the shared cluster, as partitiond.yaml.
  std::string WriteDaemonConfig(const std::string& tables_yaml, int max_attempts = 3) {
    return WriteFile("partitiond.yaml", ConfigText(DaemonConnInfo(), tables_yaml, max_attempts));
  }

  // Daemon A started first, became leader and acted; then daemon B, which observes.
  void StartLeaderThenFollower(const std::string& config, std::unique_ptr<DaemonProcess>& a,
                               std::unique_ptr<DaemonProcess>& b) {
    a = StartDaemon("daemon A", config);
    ASSERT_TRUE(a->WaitForLine("became leader", kWait));
    ASSERT_TRUE(a->WaitForLine(kActingPass, kWait));
    b = StartDaemon("daemon B", config);
    ASSERT_TRUE(b->WaitForLine(kObservingPass, kWait));
  }

  long long AuditRowsFrom(pid_t pid) {
    return QueryInt("SELECT count(*) FROM partitiond.audit WHERE daemon_pid = " +
                    std::to_string(pid));
  }

  // Leftovers of an interrupted action: a bound CHECK of a create, a pending DETACH CONCURRENTLY,
  // a table of ours in `app` that is not (or no longer) attached.
  void ExpectNothingHalfDone() {
    EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_constraint WHERE conname = 'partitiond_bound'"), 0);
    EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_inherits WHERE inhdetachpending"), 0);
    EXPECT_EQ(QueryText("SELECT coalesce(string_agg(relname, ', '), '') FROM pg_class WHERE "
                        "relnamespace = 'app'::regnamespace AND relkind = 'r' AND NOT "
                        "relispartition"),
              "");
  }
};

TEST_F(DaemonTest, TwoDaemonsOnOneDatabaseExactlyOneActs) {
  const std::string config = WriteDaemonConfig(kMonthlyEvents);
  const auto a = StartDaemon("daemon A", config);
  const auto b = StartDaemon("daemon B", config);
  ASSERT_TRUE(a->WaitForLine(kAnyPass, kWait));
  ASSERT_TRUE(b->WaitForLine(kAnyPass, kWait));
  ASSERT_THAT(Partitions("app.events"), SizeIs(4));
  // Work for a later pass: whoever leads must put it back, and nobody else may.
  conn_->Exec("DROP TABLE app.events_p20270101");
  for (int pass = 0; pass < 3; ++pass) {
    ASSERT_TRUE(a->WaitForLine(kAnyPass, kWait)) << "pass " << pass;
    ASSERT_TRUE(b->WaitForLine(kAnyPass, kWait)) << "pass " << pass;
  }

  EXPECT_THAT(Partitions("app.events"), Contains(HasSubstr("events_p20270101 ")));
  EXPECT_THAT(Partitions("app.events"), SizeIs(4));
  // Five creates (four, then the dropped one again), all by one process.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'create' AND outcome = "
                     "'ok'"),
            5);
  ASSERT_EQ(QueryInt("SELECT count(DISTINCT daemon_pid) FROM partitiond.audit"), 1);
  const pid_t acting = static_cast<pid_t>(QueryInt("SELECT min(daemon_pid) FROM partitiond.audit"));
  ASSERT_TRUE(acting == a->pid() || acting == b->pid()) << "audit rows from pid " << acting;
  const DaemonProcess& leader = acting == a->pid() ? *a : *b;
  const DaemonProcess& other = acting == a->pid() ? *b : *a;

  EXPECT_THAT(Matching(leader, std::regex("became leader")), SizeIs(1));
  EXPECT_THAT(Matching(leader, kAnyPass), SizeIs(::testing::Ge(4u)));
  EXPECT_THAT(Matching(leader, kAnyPass), Each(HasSubstr("(leader)")));
  // The other one only watched: every pass an observing one, never leader, nothing failed.
  EXPECT_THAT(Matching(other, std::regex("became leader")), SizeIs(0));
  EXPECT_THAT(Matching(other, kAnyPass), SizeIs(::testing::Ge(4u)));
  EXPECT_THAT(Matching(other, kAnyPass), Each(HasSubstr("(not leader, observing)")));
  EXPECT_EQ(Matching(other, kObservingPass).size(), Matching(other, kAnyPass).size());
  EXPECT_THAT(Matching(other, kProblem), SizeIs(0));
}

TEST_F(DaemonTest, KillNineTheLeaderAndTheOtherTakesOverWithinAnInterval) {
  std::unique_ptr<DaemonProcess> a, b;
  ASSERT_NO_FATAL_FAILURE(StartLeaderThenFollower(WriteDaemonConfig(kMonthlyEvents), a, b));

  // Everything B said so far was said before the kill.
  b->Drain();
  const std::size_t before_kill = b->lines().size();
  a->Signal(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_EQ(a->WaitExit(kWait), 128 + SIGKILL);

  ASSERT_TRUE(b->WaitForLine("became leader", kWait));
  const auto takeover = std::chrono::steady_clock::now() - killed;
  // The server ends A's session (and its advisory lock) at once, so B's next pass leads: at most
  // the pass B had in flight at the kill still observes. In time: one interval, with slack for a
  // loaded machine.
  EXPECT_THAT(Matching(b->lines(), before_kill, b->cursor(), kObservingPass),
              SizeIs(::testing::Le(1u)));
  EXPECT_LT(takeover, 3 * kInterval + 2s)
      << std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count() << " ms";

  // And B acts: a partition dropped by hand comes back, created by B.
  conn_->Exec("DROP TABLE app.events_p20270101");
  ASSERT_TRUE(b->WaitForLine(kActingPass, kWait));
  EXPECT_THAT(Partitions("app.events"), SizeIs(4));
  EXPECT_EQ(AuditRowsFrom(a->pid()), 4);
  EXPECT_EQ(AuditRowsFrom(b->pid()), 1);
  EXPECT_EQ(QueryInt("SELECT daemon_pid FROM partitiond.audit WHERE partition_name = "
                     "'app.events_p20270101' ORDER BY id DESC LIMIT 1"),
            b->pid());
}

// The port a daemon's metrics endpoint listens on, from its log (already read, or awaited).
std::string MetricsPort(DaemonProcess& daemon) {
  const std::regex listening(R"(metrics listening on 127\.0\.0\.1:(\d+))");
  std::smatch m;
  for (const std::string& line : daemon.lines()) {
    if (std::regex_search(line, m, listening)) return m[1];
  }
  const auto line = daemon.WaitForLine(listening, kWait);
  if (!line || !std::regex_search(*line, m, listening)) return "";
  return m[1];
}

TEST_F(DaemonTest, AFrozenLeaderIsReplacedAndStandsAsideWhenItWakes) {
  std::unique_ptr<DaemonProcess> a, b;
  ASSERT_NO_FATAL_FAILURE(StartLeaderThenFollower(WriteDaemonConfig(kMonthlyEvents), a, b));
  const std::string b_port = MetricsPort(*b);
  ASSERT_FALSE(b_port.empty()) << b->Output();
  // A's heartbeat is in the lease, naming A.
  EXPECT_EQ(QueryInt("SELECT daemon_pid FROM partitiond.leader"), a->pid());

  // Frozen: its session, and the advisory lock with it, stay on the server.
  a->Signal(SIGSTOP);
  const auto frozen = std::chrono::steady_clock::now();
  conn_->Exec("DROP TABLE app.events_p20270101");
  const auto ended = b->WaitForLine("ended the session of silent leader", kWait);
  ASSERT_TRUE(ended) << b->Output();
  EXPECT_THAT(*ended, HasSubstr("partitiond pid " + std::to_string(a->pid())));
  ASSERT_TRUE(b->WaitForLine("became leader", kWait));
  const auto takeover = std::chrono::steady_clock::now() - frozen;
  ASSERT_TRUE(b->WaitForLine(kActingPass, kWait));
  // The lease is stale after three intervals; B looks once per interval; slack for a loaded
  // machine.
  EXPECT_LT(takeover, 3 * kInterval + kInterval + 3s)
      << std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count() << " ms";
  EXPECT_EQ(QueryInt("SELECT daemon_pid FROM partitiond.leader"), b->pid());
  EXPECT_EQ(AuditRowsFrom(a->pid()), 4);
  EXPECT_EQ(AuditRowsFrom(b->pid()), 1);

  // More work, then A wakes: its session is gone, so whatever it was about to do fails; it
  // reconnects and only observes, while B does the work.
  conn_->Exec("DROP TABLE app.events_p20270201");
  a->Signal(SIGCONT);
  ASSERT_TRUE(a->WaitForLine("connection lost", kWait)) << a->Output();
  ASSERT_TRUE(a->WaitForLine(kObservingPass, kWait)) << a->Output();
  ASSERT_TRUE(a->WaitForLine(kObservingPass, kWait)) << a->Output();
  ASSERT_TRUE(b->WaitForLine(kCleanLeaderPass, kWait));
  EXPECT_THAT(Partitions("app.events"), SizeIs(4));
  // No double action: each partition created once per loss, by one daemon; A did nothing since.
  EXPECT_EQ(AuditRowsFrom(a->pid()), 4);
  EXPECT_EQ(AuditRowsFrom(b->pid()), 2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE partition_name = "
                     "'app.events_p20270201' AND daemon_pid = " +
                     std::to_string(b->pid())),
            1);
  EXPECT_THAT(Matching(*a, std::regex("became leader")), SizeIs(1));
  EXPECT_THAT(Matching(*b, std::regex("became leader")), SizeIs(1));
  EXPECT_THAT(Matching(*a, std::regex("ended the session")), SizeIs(0));
  // Counted once, by the daemon that took over.
  const std::string scrape = tmp_dir_ + "/b.metrics";
  ASSERT_EQ(RunShell("curl -sf http://127.0.0.1:" + b_port + "/metrics > " + ShellQuote(scrape)),
            0);
  EXPECT_EQ(
      RunShell("grep -qx 'partitiond_leader_takeovers_total{database=\"test\",result=\"ok\"} 1' " +
               ShellQuote(scrape)),
      0);
}

TEST_F(DaemonTest, ASilentLockHolderOfAnotherRoleIsNeverEnded) {
  // A session of the owner role takes the leadership lock and stays idle. The daemon's role is a
  // member of the owner role, so PostgreSQL would let it end that session: it must not.
  conn_->Exec("ALTER ROLE " + conn_->QuoteIdentifier(owner_role_) + " LOGIN");
  const pg::SessionOptions session;
  pg::Connection holder =
      pg::Connection::Open(PgCluster::Shared().ConnInfo(dbname_, owner_role_), session);
  holder.Exec("SELECT pg_advisory_lock(1885434484, hashtext(current_database()))");
  const auto daemon = StartDaemon("daemon", WriteDaemonConfig(kMonthlyEvents));
  // Silent for three intervals: judged stale, but not ended.
  ASSERT_TRUE(daemon->WaitForLine("did not end the session", kWait)) << daemon->Output();
  ASSERT_TRUE(daemon->WaitForLine(kObservingPass, kWait));
  EXPECT_EQ(std::string(holder.Exec("SELECT 'still here'").Get(0, 0)), "still here");
  EXPECT_THAT(Matching(*daemon, std::regex("became leader")), SizeIs(0));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit"), 0);
}

// Retention work that a reader blocks: January 2026 is due for dropping at 2026-03-15, and a
// session holds ACCESS SHARE on it, so the drop retries with backoff while the reader stays.
class BlockedDropTest : public DaemonTest {
 protected:
  static constexpr const char* kTables = kMonthlyEventsKeptAMonth;
  static constexpr const char* kLater = "2026-03-15T00:00:00Z";

  void Prepare(bool default_partition, int max_attempts) {
    if (default_partition) {
      conn_->Exec("CREATE TABLE app.events_default PARTITION OF app.events DEFAULT");
    }
    config_ = WriteDaemonConfig(kTables, max_attempts);
    const CliResult first = RunCli("once --config " + config_ + " --now 2026-01-15T00:00:00Z");
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    conn_->Exec("INSERT INTO app.events (at) VALUES ('2026-01-10')");
    reader_.emplace(PgCluster::Shared().Connect(dbname_));
    reader_->Exec("BEGIN; SELECT count(*) FROM app.events_p20260101;");
  }

  std::string config_;
  std::optional<pg::Connection> reader_;
};

TEST_F(BlockedDropTest, PostgresRestartMidPassReconnectsAndLeavesNothingHalfDone) {
  ASSERT_NO_FATAL_FAILURE(Prepare(/*default_partition=*/false, /*max_attempts=*/6));
  const auto daemon = StartDaemon("daemon", config_, kLater);
  // In the middle of the drop: it failed to get its lock once and is backing off.
  ASSERT_TRUE(daemon->WaitForLine(
      std::regex(R"(drop app\.events_p20260101: lock not available \(attempt 1 of 6\))"), kWait));
  const std::size_t mid_pass = daemon->cursor();
  PgCluster::Shared().Restart();
  reader_.reset();
  conn_.emplace(PgCluster::Shared().Connect(dbname_));

  ASSERT_TRUE(daemon->WaitForLine("connection lost", kWait));
  // The restart did cut the pass short: it neither completed nor gave up before.
  EXPECT_THAT(Matching(daemon->lines(), mid_pass, daemon->cursor(), kAnyPass), SizeIs(0));
  EXPECT_THAT(Matching(daemon->lines(), mid_pass, daemon->cursor(), std::regex("gave up")),
              SizeIs(0));
  ASSERT_TRUE(daemon->WaitForLine(kCleanLeaderPass, kWait));

  EXPECT_THAT(Partitions("app.events"),
              ElementsAre(HasSubstr("events_p20260201 "), HasSubstr("events_p20260301 "),
                          HasSubstr("events_p20260401 "), HasSubstr("events_p20260501 "),
                          HasSubstr("events_p20260601 ")));
  ExpectNothingHalfDone();
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events_p20260101'"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'drop' AND outcome = "
                     "'ok'"),
            1);
}

TEST_F(BlockedDropTest, SigtermMidActionExitsZeroWithinTenSeconds) {
  // With a default partition the drop is one transaction (DETACH; DROP): stopping in the middle
  // must leave the partition attached and whole.
  ASSERT_NO_FATAL_FAILURE(Prepare(/*default_partition=*/true, /*max_attempts=*/10));
  const auto daemon = StartDaemon("daemon", config_, kLater);
  ASSERT_TRUE(daemon->WaitForLine(
      std::regex(R"(drop app\.events_p20260101: lock not available \(attempt 2 of 10\))"), kWait));
  daemon->Signal(SIGTERM);
  const auto signalled = std::chrono::steady_clock::now();
  const std::optional<int> status = daemon->WaitExit(kWait);
  const auto elapsed = std::chrono::steady_clock::now() - signalled;

  ASSERT_TRUE(status.has_value()) << "still running " << kWait.count() << " ms after SIGTERM";
  EXPECT_EQ(*status, 0);
  EXPECT_LT(elapsed, 10s) << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                          << " ms";
  EXPECT_THAT(daemon->lines(), Contains(HasSubstr("SIGTERM: stopping after the current action")));
  EXPECT_THAT(daemon->lines().back(), HasSubstr("partitiond stopped"));

  reader_->Exec("COMMIT");
  EXPECT_EQ(QueryText("SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = "
                      "'app.events_p20260101'::regclass"),
            "app.events");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events_p20260101"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events WHERE at < '2026-02-01'"), 1);
  ExpectNothingHalfDone();
}

TEST_F(DaemonTest, StandbyOnlyObservesAndActsOncePromoted) {
  // The daemon's role and grants first, so that the base backup already has them.
  GrantDaemon();
  std::unique_ptr<PgCluster> standby = PgCluster::Shared().StartStandby();
  const std::string config =
      WriteFile("standby.yaml", ConfigText(DaemonConnInfo(*standby), kMonthlyEvents));
  const std::string primary_before = CatalogFingerprint();
  pg::Connection on_standby = standby->Connect(dbname_);
  const std::string standby_before =
      std::string(on_standby.Exec("SELECT count(*) FROM pg_class").Get(0, 0));

  const auto daemon = StartDaemon("daemon on standby", config);
  for (int pass = 0; pass < 3; ++pass) {
    ASSERT_TRUE(daemon->WaitForLine(kStandbyPass, kWait)) << "pass " << pass;
  }
  EXPECT_THAT(Matching(*daemon, kAnyPass), Each(HasSubstr("(standby, observing)")));
  EXPECT_THAT(Matching(*daemon, std::regex("became leader")), SizeIs(0));
  EXPECT_THAT(Matching(*daemon, kProblem), SizeIs(0));
  EXPECT_EQ(std::string(on_standby.Exec("SELECT count(*) FROM pg_class").Get(0, 0)),
            standby_before);
  EXPECT_EQ(CatalogFingerprint(), primary_before);

  standby->Promote();
  ASSERT_TRUE(daemon->WaitForLine("became leader", kWait));
  ASSERT_TRUE(daemon->WaitForLine(kActingPass, kWait));
  EXPECT_EQ(std::string(on_standby.Exec("SELECT pg_is_in_recovery()::text").Get(0, 0)), "false");
  EXPECT_EQ(std::string(on_standby
                            .Exec("SELECT count(*) FROM pg_inherits WHERE inhparent = "
                                  "'app.events'::regclass")
                            .Get(0, 0)),
            "4");
  EXPECT_EQ(std::string(on_standby
                            .Exec("SELECT count(*) || ' ' || min(daemon_pid) FROM "
                                  "partitiond.audit WHERE outcome = 'ok'")
                            .Get(0, 0)),
            "4 " + std::to_string(daemon->pid()));
  // The old primary never saw any of it.
  EXPECT_EQ(CatalogFingerprint(), primary_before);
}

TEST_F(DaemonTest, SighupWithABrokenConfigKeepsTheOldOneRunning) {
  const std::string config = WriteDaemonConfig(kMonthlyEvents);
  const auto daemon = StartDaemon("daemon", config);
  ASSERT_TRUE(daemon->WaitForLine(kActingPass, kWait));
  ASSERT_THAT(Partitions("app.events"), SizeIs(4));

  ASSERT_EQ(WriteFile("partitiond.yaml", "databases:\n  - name: [unclosed\n"), config);
  daemon->Signal(SIGHUP);
  const auto refused = daemon->WaitForLine("reload refused", kWait);
  ASSERT_TRUE(refused);
  EXPECT_THAT(*refused, HasSubstr(config + ":"));
  // The old configuration still runs, and still acts: a partition dropped by hand comes back.
  ASSERT_TRUE(daemon->WaitForLine(kAnyPass, kWait));
  conn_->Exec("DROP TABLE app.events_p20270101");
  ASSERT_TRUE(daemon->WaitForLine(kActingPass, kWait));
  EXPECT_THAT(Partitions("app.events"), SizeIs(4));

  // A valid, changed config is taken: one more month ahead.
  const std::string changed =
      WriteDaemonConfig("      - { name: app.events, interval: 1 month, premake: 4 }\n");
  daemon->Signal(SIGHUP);
  ASSERT_TRUE(daemon->WaitForLine("reloaded " + changed, kWait));
  ASSERT_TRUE(daemon->WaitForLine(kActingPass, kWait));
  EXPECT_THAT(Partitions("app.events"), SizeIs(5));
  EXPECT_THAT(Partitions("app.events"), Contains(HasSubstr("events_p20270301 ")));
  EXPECT_THAT(Matching(*daemon, std::regex("reload refused")), SizeIs(1));
}

// A FIFO at the config path (nobody ever writes to it): reading it would block, so SIGHUP refuses
// it without reading, off the loop, and the daemon goes on with the configuration it had.
TEST_F(DaemonTest, SighupWithAFifoAtTheConfigPathKeepsTheDaemonRunning) {
  const std::string config = WriteDaemonConfig(kMonthlyEvents);
  const auto daemon = StartDaemon("daemon", config);
  ASSERT_TRUE(daemon->WaitForLine(kActingPass, kWait));

  ASSERT_EQ(unlink(config.c_str()), 0);
  ASSERT_EQ(mkfifo(config.c_str(), 0600), 0);
  daemon->Signal(SIGHUP);
  const auto refused = daemon->WaitForLine("reload refused", kWait);
  ASSERT_TRUE(refused) << daemon->Output();
  EXPECT_THAT(*refused, HasSubstr(config + ": cannot read: not a regular file (a FIFO)"));
  // The loop still runs passes, and still acts: a partition dropped by hand comes back.
  ASSERT_TRUE(daemon->WaitForLine(kAnyPass, kWait));
  conn_->Exec("DROP TABLE app.events_p20270101");
  ASSERT_TRUE(daemon->WaitForLine(kActingPass, kWait));
  EXPECT_THAT(Partitions("app.events"), SizeIs(4));
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->WaitExit(kWait), 0);
}

// check-config (and every command that reads the config) refuses a FIFO at once rather than
// waiting for a writer; `timeout` only bounds the hang this guards against.
TEST_F(DaemonTest, CheckConfigRefusesAFifo) {
  const std::string fifo = tmp_dir_ + "/fifo.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const CliResult r = RunCli("check-config --config " + fifo, "timeout 20");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.err, fifo + ": cannot read: not a regular file (a FIFO)\n");
}

TEST_F(DaemonTest, SighupAppliesARotatedMetricsPassword) {
  const std::string password_file = WriteFile("metrics.password", "old-s3cret\n");
  const std::string config = WriteConfigWithMetricsAuth(
      password_file,
      "  - name: test\n    conninfo: \"" + DaemonConnInfo() + "\"\n    tables:\n" + kMonthlyEvents);
  const auto daemon = StartDaemon("daemon", config);
  const std::string port = MetricsPort(*daemon);
  ASSERT_FALSE(port.empty()) << daemon->Output();
  const std::string url = "http://127.0.0.1:" + port + "/metrics";
  const auto status = [&](const std::string& credentials) {
    return "curl -s -o /dev/null -w '%{http_code}' -u " + credentials + " " + url + " | grep -qx ";
  };
  ASSERT_EQ(RunShell(status("prom:old-s3cret") + "200"), 0);

  ASSERT_EQ(WriteFile("metrics.password", "new-s3cret\n"), password_file);
  daemon->Signal(SIGHUP);
  ASSERT_TRUE(daemon->WaitForLine("reloaded " + config, kWait));
  EXPECT_EQ(RunShell(status("prom:old-s3cret") + "401"), 0) << "the old password still works";
  EXPECT_EQ(RunShell(status("prom:new-s3cret") + "200"), 0) << "the new password is refused";
}

// A TCP port that accepts connections (the kernel completes the handshake into the backlog) but
// never answers: a hung database server.
class HungServer {
 public:
  HungServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~HungServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(DaemonTest, AHungDatabaseStallsNeitherTheOthersNorTheMetricsEndpoint) {
  HungServer hung;
  const std::string password_file = WriteFile("metrics.password", "s3cret\n");
  const std::string config = WriteConfigWithMetricsAuth(
      password_file, "  - name: hung\n    conninfo: \"host=127.0.0.1 port=" +
                         std::to_string(hung.port()) + " dbname=x user=x\"\n    tables:\n" +
                         kMonthlyEvents + "  - name: test\n    conninfo: \"" + DaemonConnInfo() +
                         "\"\n    tables:\n" + kMonthlyEvents);
  auto daemon = StartDaemon("hung+test", config);
  const auto listening =
      daemon->WaitForLine(std::regex(R"(metrics listening on 127\.0\.0\.1:(\d+))"), kWait);
  ASSERT_TRUE(listening) << daemon->Output();
  const std::string port = listening->substr(listening->rfind(':') + 1);
  // The hung server holds its worker in the connect (10 s timeout); meanwhile the other database
  // completes pass after pass and the endpoint answers.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(daemon->WaitForLine(kAnyPass, kWait)) << daemon->Output();
  const std::string url = "http://127.0.0.1:" + port + "/metrics";
  const std::string scrape = tmp_dir_ + "/scrape.txt";
  EXPECT_EQ(RunShell("curl -s -o /dev/null -w '%{http_code}' " + url + " | grep -qx 401"), 0)
      << "metrics served without credentials";
  ASSERT_EQ(RunShell("curl -sf -u prom:s3cret " + url + " > " + ShellQuote(scrape)), 0);
  EXPECT_EQ(
      RunShell("grep -qx 'partitiond_database_up{database=\"test\"} 1' " + ShellQuote(scrape)), 0);
  daemon->Drain();
  EXPECT_THAT(Matching(*daemon, std::regex("database hung: cannot connect")), SizeIs(0))
      << "the hung connect should still be waiting";
  EXPECT_EQ(Partitions("app.events").size(), 4u);
}

}  // namespace
}  // namespace partitiond::testing
