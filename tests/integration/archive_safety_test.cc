// retention_action: archive when the partition cannot simply be copied and dropped, on a real
// PostgreSQL 15 with the daemon as its least-privilege role: a partition other objects depend on
// (the DROP would fail: no archive may pile up per pass), a daemon frozen in the middle of the
// COPY (the server must end the transaction within the archive's time bound, so the xmin horizon
// is not pinned for ever), and a partition that is itself sub-partitioned.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "tests/support/archive_fixture.h"
#include "tests/support/daemon_process.h"
#include "tests/support/file_watch.h"

namespace partitiond::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr const char* kNow = "2024-04-15T00:00:00Z";  // January 2024 is expired, March is not
constexpr std::chrono::seconds kWait{60};
constexpr const char* kJanuary = "app.events_p20240101";

class ArchiveSafetyTest : public ArchiveFixture {
 protected:
  // app.events, monthly on `at`; January 2024 (plain, unless the test made it first) holds `rows`
  // rows, March one. public.reference keeps a copy of January's rows.
  void CreateEvents(int rows, const std::string& january_ddl = "") {
    conn_->Exec(
        "CREATE SCHEMA app;\n"
        "CREATE TABLE app.events (id bigint NOT NULL, at timestamptz NOT NULL, "
        "  kind text NOT NULL, body text) PARTITION BY RANGE (at);\n"
        "CREATE TABLE app.events_p20240301 PARTITION OF app.events "
        "  FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');\n"
        "INSERT INTO app.events VALUES (0, '2024-03-02', 'a', 'march');");
    conn_->Exec(january_ddl.empty() ? "CREATE TABLE app.events_p20240101 PARTITION OF app.events "
                                      "  FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')"
                                    : january_ddl);
    conn_->Exec(
        fmt::format("INSERT INTO app.events SELECT i, '2024-01-01'::timestamptz + (i % 40000) * "
                    "interval '1 minute', CASE WHEN i % 3 = 0 THEN 'a' ELSE 'b' END, "
                    "repeat(md5(i::text), 3) || E'\\ttab' FROM generate_series(1, {}) i",
                    rows));
    conn_->Exec("CREATE TABLE public.reference AS SELECT * FROM app.events_p20240101");
  }

  std::string Config(const std::string& maintenance =
                         "{ lock_timeout: 500ms, max_attempts: 5, statement_timeout: 60s }") {
    return WriteConfig(fmt::format("      - {{ name: app.events, interval: 1 month, premake: 1, "
                                   "retention: 2 months, retention_action: archive, "
                                   "archive_dir: {} }}\n",
                                   ArchiveDir()),
                       maintenance, "{ level: info }");
  }

  CliResult Once(const std::string& config) {
    return RunCli(fmt::format("once --config {} --now {}", config, kNow));
  }

  // Backends of the daemon's role that hold back the xmin horizon or have a transaction open.
  long long DaemonBackendsPinningXmin() {
    return QueryInt(
        fmt::format("SELECT count(*) FROM pg_stat_activity WHERE usename = '{}' AND "
                    "(backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)",
                    daemon_role_));
  }
};

// A view on the expired partition makes its DROP fail. Without a check first, every pass wrote
// another full archive, rolled back and kept the files, until the disk was full.
TEST_F(ArchiveSafetyTest, DependentViewStopsTheArchiveBeforeAnythingIsWritten) {
  CreateEvents(3000);
  conn_->Exec(
      "CREATE VIEW app.january_report AS SELECT kind, count(*) FROM "
      "app.events_p20240101 GROUP BY kind");
  const std::string config = Config();
  for (int pass = 1; pass <= 3; ++pass) {
    const CliResult once = Once(config);
    EXPECT_EQ(once.exit_code, 1) << "pass " << pass << once.out << once.err;
    // The error names the database, the table and what depends on it.
    EXPECT_THAT(once.err, HasSubstr("database test")) << "pass " << pass;
    EXPECT_THAT(once.err, HasSubstr("events_p20240101")) << "pass " << pass;
    EXPECT_THAT(once.err, HasSubstr("view app.january_report")) << "pass " << pass << once.err;
  }
  EXPECT_THAT(Files(".copy.zst"), IsEmpty());
  EXPECT_THAT(Files(".manifest.json"), IsEmpty());
  EXPECT_THAT(Files(".partial"), IsEmpty());
  ASSERT_TRUE(TableExists(kJanuary));
  EXPECT_EQ(Differences(kJanuary), 0);

  // Without the view, the next pass archives and drops it.
  conn_->Exec("DROP VIEW app.january_report");
  const CliResult healthy = Once(config);
  ASSERT_EQ(healthy.exit_code, 0) << healthy.out << healthy.err;
  EXPECT_FALSE(TableExists(kJanuary));
  ASSERT_THAT(Files(".manifest.json"), SizeIs(1));
  EXPECT_THAT(Files(".copy.zst"), SizeIs(1));
  EXPECT_THAT(ReadText(Files(".manifest.json")[0]), HasSubstr("\"rows\": 3000"));
}

// A function whose SQL-standard body reads the partition depends on it too.
TEST_F(ArchiveSafetyTest, DependentFunctionIsNamedAndNothingIsWritten) {
  CreateEvents(100);
  conn_->Exec(
      "CREATE FUNCTION app.january_total() RETURNS bigint LANGUAGE sql "
      "BEGIN ATOMIC SELECT count(*) FROM app.events_p20240101; END");
  const CliResult once = Once(Config());
  EXPECT_EQ(once.exit_code, 1) << once.out << once.err;
  EXPECT_THAT(once.err, HasSubstr("function app.january_total()"));
  EXPECT_THAT(Files(".copy.zst"), IsEmpty());
  EXPECT_EQ(Differences(kJanuary), 0);
}

// The daemon is frozen (SIGSTOP: as a VM pause or a hung archive disk would) in the middle of
// the COPY. Its backend blocks sending to a client that does not read, where PostgreSQL honours
// neither statement_timeout nor idle_in_transaction_session_timeout; the archive's watchdog
// session ends it within maintenance.archive_timeout, so the xmin horizon moves on.
TEST_F(ArchiveSafetyTest, FrozenArchiverIsEndedByTheServerWithinItsTimeBound) {
  constexpr int kRows = 600000;
  constexpr std::chrono::seconds kBound{5};
  CreateEvents(kRows);
  const std::string config = Config(
      "{ lock_timeout: 500ms, max_attempts: 5, statement_timeout: 60s, "
      "archive_timeout: 5s }");
  ASSERT_TRUE(fs::create_directories(PartitionDir()));
  FileWatch watch(PartitionDir());
  DaemonProcess once("once", {"once", "--config", config, "--now", kNow});
  ASSERT_FALSE(watch.WaitForWrite(".copy.zst.partial", kWait).empty()) << once.Output();
  once.Signal(SIGSTOP);
  const auto stopped = std::chrono::steady_clock::now();
  // The frozen archive holds back the horizon now.
  ASSERT_GE(DaemonBackendsPinningXmin(), 1) << "the archive finished before the stop";

  // Evidence that its transaction ended: its ACCESS EXCLUSIVE lock on the partition is released.
  const auto lock_wait = kBound + std::chrono::seconds(20);
  bool released = true;
  try {
    conn_->Exec(
        fmt::format("BEGIN; SET LOCAL lock_timeout = '{}s'; LOCK TABLE {} IN ACCESS "
                    "SHARE MODE; ROLLBACK",
                    lock_wait.count(), kJanuary));
  } catch (const pg::Error& e) {
    released = false;
    conn_->Exec("ROLLBACK");
    ADD_FAILURE() << "the frozen archive still holds its transaction: " << e.what();
  }
  const auto ended = std::chrono::steady_clock::now() - stopped;
  if (released) {
    EXPECT_LE(ended, kBound + std::chrono::seconds(3));
    std::cout << "the server ended the frozen archive's transaction "
              << std::chrono::duration_cast<std::chrono::milliseconds>(ended).count()
              << " ms after the stop (bound " << kBound.count() << " s)\n";
    // The session is gone from pg_stat_activity (its exit may trail the lock's release).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (DaemonBackendsPinningXmin() > 0 && std::chrono::steady_clock::now() < deadline) {
    }
    EXPECT_EQ(DaemonBackendsPinningXmin(), 0);
  }

  once.Signal(SIGCONT);
  const std::optional<int> code = once.WaitExit(kWait);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0) << once.Output();
  EXPECT_THAT(once.Output(), HasSubstr("time bound"));
  EXPECT_THAT(Files(".partial"), IsEmpty());
  EXPECT_THAT(Files(".manifest.json"), IsEmpty());
  ASSERT_TRUE(TableExists(kJanuary));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events_p20240101"), kRows);

  // The next pass (with room for a full archive on a busy machine) finishes with nothing lost.
  const CliResult again = Once(Config());
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_FALSE(TableExists(kJanuary));
  ASSERT_THAT(Files(".manifest.json"), SizeIs(1));
  EXPECT_THAT(ReadText(Files(".manifest.json")[0]), HasSubstr(fmt::format("\"rows\": {}", kRows)));
}

// An expired partition that is itself partitioned (by LIST here) is archived through
// COPY (SELECT ...), verified, dropped with its sub-partitions, and restored (as a plain table).
TEST_F(ArchiveSafetyTest, SubPartitionedPartitionIsArchivedDroppedAndRestored) {
  CreateEvents(5000,
               "CREATE TABLE app.events_p20240101 PARTITION OF app.events "
               "  FOR VALUES FROM ('2024-01-01') TO ('2024-02-01') PARTITION BY LIST (kind);\n"
               "CREATE TABLE app.events_p20240101_a PARTITION OF app.events_p20240101 "
               "  FOR VALUES IN ('a');\n"
               "CREATE TABLE app.events_p20240101_b PARTITION OF app.events_p20240101 "
               "  FOR VALUES IN ('b');");
  const std::string config = Config();
  const CliResult once = Once(config);
  ASSERT_EQ(once.exit_code, 0) << once.out << once.err;
  EXPECT_FALSE(TableExists(kJanuary));
  EXPECT_FALSE(TableExists("app.events_p20240101_a"));
  EXPECT_FALSE(TableExists("app.events_p20240101_b"));
  EXPECT_EQ(AuditSteps(), "detach:ok write:ok verify:ok drop:ok summary:ok");
  ASSERT_THAT(Files(".manifest.json"), SizeIs(1));
  const std::string manifest = Files(".manifest.json")[0];
  EXPECT_THAT(ReadText(manifest), HasSubstr("\"rows\": 5000"));

  const CliResult restore = RunCli(fmt::format("restore --config {} {}", config, manifest));
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_THAT(restore.out, HasSubstr("attached to app.events"));
  EXPECT_EQ(QueryText("SELECT relkind::text FROM pg_class WHERE oid = "
                      "'app.events_p20240101'::regclass"),
            "r");
  EXPECT_EQ(Differences(kJanuary), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events WHERE at < '2024-02-01'"), 5000);
}

}  // namespace
}  // namespace partitiond::testing
