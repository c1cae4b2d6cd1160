// retention_action: archive on a real PostgreSQL 15: the archive round trip through
// `partitiond restore`, and no data loss under faults (kill -9 mid-COPY, server restart
// mid-COPY, unwritable directory, full disk, corrupted archive).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "daemon/common/env.h"
#include "daemon/config/config.h"
#include "daemon/maintenance/pass.h"
#include "tests/support/archive_fixture.h"
#include "tests/support/daemon_process.h"
#include "tests/support/file_watch.h"

namespace partitiond::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr const char* kNow = "2024-04-15T00:00:00Z";  // January 2024 is expired, March is not
constexpr std::chrono::seconds kWait{60};

class ArchiveTest : public ArchiveFixture {
 protected:
  // app.events with awkward values: every COPY text escape, NULLs, UTF-8, bytea, arrays, jsonb,
  // numeric, a generated column. January 2024 holds `rows` rows; March one.
  void CreateEvents(int rows) {
    conn_->Exec(
        "CREATE SCHEMA app;\n"
        "CREATE TABLE app.events (id bigint NOT NULL, at timestamptz NOT NULL, body text, "
        "  raw bytea, tags text[], doc jsonb, amount numeric(12,3), "
        "  doubled bigint GENERATED ALWAYS AS (id * 2) STORED) PARTITION BY RANGE (at);\n"
        "CREATE TABLE app.events_p20240101 PARTITION OF app.events "
        "  FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');\n"
        "CREATE TABLE app.events_p20240301 PARTITION OF app.events "
        "  FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');\n"
        "INSERT INTO app.events_p20240301 (id, at) VALUES (0, '2024-03-02');");
    conn_->Exec(fmt::format(
        "INSERT INTO app.events (id, at, body, raw, tags, doc, amount) "
        "SELECT i, '2024-01-01'::timestamptz + (i % 40000) * interval '1 minute', "
        "  CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN E'tab\\there\\nnew line \\\\ back\\\\slash' "
        "  WHEN 2 THEN 'Grüße, 東京 ' || md5(i::text) WHEN 3 THEN '\\N' ELSE repeat(md5(i::text), "
        "3) "
        "  END, "
        "  CASE WHEN i % 7 = 0 THEN NULL ELSE decode(md5(i::text), 'hex') END, "
        "  ARRAY['a', NULL, 'q\"uote', i::text], "
        "  jsonb_build_object('i', i, 's', E'x\\ny'), i / 7.0 "
        "FROM generate_series(1, {}) i",
        rows));
    // The reference copy the round trip is compared with.
    conn_->Exec("CREATE TABLE public.reference AS SELECT * FROM app.events_p20240101");
  }

  std::string Config(const std::string& archive_dir) {
    return WriteConfig(fmt::format("      - {{ name: app.events, interval: 1 month, premake: 1, "
                                   "retention: 2 months, retention_action: archive, "
                                   "archive_dir: {} }}\n",
                                   archive_dir),
                       "{ lock_timeout: 500ms, max_attempts: 5, statement_timeout: 60s }",
                       "{ level: info }");
  }

  // The January partition, still holding every row, wherever the fault left it (attached or
  // detached and marked); no archive was completed.
  void ExpectJanuaryIntact(long long rows) {
    ASSERT_TRUE(TableExists("app.events_p20240101"));
    EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events_p20240101"), rows);
    EXPECT_EQ(Differences("app.events_p20240101"), 0);
    EXPECT_THAT(Files(".manifest.json"), IsEmpty());
  }

  // A second, healthy pass finishes the archive: verified files, partition gone, no leftovers.
  void ExpectNextPassArchives(const std::string& config, long long rows) {
    const CliResult again = RunCli(fmt::format("once --config {} --now {}", config, kNow));
    EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
    EXPECT_FALSE(TableExists("app.events_p20240101"));
    ASSERT_THAT(Files(".manifest.json"), SizeIs(1));
    EXPECT_THAT(Files(".partial"), IsEmpty());
    const std::string manifest = ReadText(Files(".manifest.json")[0]);
    EXPECT_THAT(manifest, HasSubstr(fmt::format("\"rows\": {}", rows)));
  }
};

TEST_F(ArchiveTest, RoundTripThroughRestoreGivesTheSameRows) {
  CreateEvents(20000);
  const std::string config = Config(ArchiveDir());
  const CliResult once = RunCli(fmt::format("once --config {} --now {}", config, kNow));
  ASSERT_EQ(once.exit_code, 0) << once.out << once.err;
  EXPECT_FALSE(TableExists("app.events_p20240101"));
  EXPECT_EQ(AuditSteps(), "detach:ok write:ok verify:ok drop:ok summary:ok");

  // Private files, one archive and one manifest, the manifest describing the partition.
  struct stat info {};
  ASSERT_EQ(stat(ArchiveDir().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(PartitionDir().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_THAT(Files(".copy.zst"), SizeIs(1));
  ASSERT_THAT(Files(".manifest.json"), SizeIs(1));
  for (const auto& file : {Files(".copy.zst")[0], Files(".manifest.json")[0]}) {
    ASSERT_EQ(stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u) << file;
  }
  const std::string manifest_path = Files(".manifest.json")[0];
  const std::string manifest = ReadText(manifest_path);
  EXPECT_THAT(manifest, HasSubstr("\"rows\": 20000"));
  EXPECT_THAT(manifest, HasSubstr("\"from\": \"2024-01-01 00:00:00+00\""));
  EXPECT_THAT(manifest, HasSubstr("\"generated\": \"(id * 2)\""));

  const CliResult restore = RunCli(fmt::format("restore --config {} {}", config, manifest_path));
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_THAT(restore.out, HasSubstr("attached to app.events"));
  EXPECT_THAT(Partitions("app.events"),
              ElementsAre("events_p20240101 [2024-01-01 00:00:00+00, 2024-02-01 00:00:00+00)",
                          "events_p20240201 [2024-02-01 00:00:00+00, 2024-03-01 00:00:00+00)",
                          "events_p20240301 [2024-03-01 00:00:00+00, 2024-04-01 00:00:00+00)",
                          "events_p20240401 [2024-04-01 00:00:00+00, 2024-05-01 00:00:00+00)",
                          "events_p20240501 [2024-05-01 00:00:00+00, 2024-06-01 00:00:00+00)"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events_p20240101"), 20000);
  EXPECT_EQ(Differences("app.events_p20240101"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'restore' AND "
                     "outcome = 'ok' AND step IS NULL"),
            1);

  // Restoring again: the table exists, nothing is overwritten.
  const std::string before = CatalogFingerprint();
  const CliResult twice = RunCli(fmt::format("restore --config {} {}", config, manifest_path));
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.out, HasSubstr("already exists"));
  EXPECT_EQ(CatalogFingerprint(), before);

  // Archiving the restored partition again keeps the first archive beside the new one.
  const CliResult again = RunCli(fmt::format("once --config {} --now {}", config, kNow));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(Files(".copy.zst"), SizeIs(2));
  EXPECT_THAT(Files(".manifest.json"), SizeIs(2));
}

TEST_F(ArchiveTest, RestoreLeavesTheTableStandaloneWhenAskedOrWhenItsRangeIsTaken) {
  CreateEvents(500);
  const std::string config = Config(ArchiveDir());
  ASSERT_EQ(RunCli(fmt::format("once --config {} --now {}", config, kNow)).exit_code, 0);
  const std::string manifest_path = Files(".manifest.json")[0];

  const CliResult standalone =
      RunCli(fmt::format("restore --config {} --no-attach {}", config, manifest_path));
  ASSERT_EQ(standalone.exit_code, 0) << standalone.out << standalone.err;
  EXPECT_THAT(standalone.out, HasSubstr("left standalone (--no-attach)"));
  EXPECT_EQ(Differences("app.events_p20240101"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                     "'app.events_p20240101'::regclass"),
            0);

  // Its range taken by a new partition: restored, not attached, and the output says by whom.
  conn_->Exec(
      "DROP TABLE app.events_p20240101; CREATE TABLE app.jan PARTITION OF app.events "
      "FOR VALUES FROM ('2024-01-15') TO ('2024-02-01')");
  const CliResult taken = RunCli(fmt::format("restore --config {} {}", config, manifest_path));
  ASSERT_EQ(taken.exit_code, 0) << taken.out << taken.err;
  EXPECT_THAT(taken.out, HasSubstr("taken by partition app.jan"));
  EXPECT_EQ(Differences("app.events_p20240101"), 0);
}

// A manifest is a file anyone with write access to the archive directory can edit: a column type
// that is SQL rather than a type name is refused before any of it reaches SQL, the error names the
// manifest and the column, and nothing is created or dropped.
TEST_F(ArchiveTest, RestoreRefusesAManifestWhoseColumnTypeIsNotATypeName) {
  CreateEvents(50);
  const std::string config = Config(ArchiveDir());
  ASSERT_EQ(RunCli(fmt::format("once --config {} --now {}", config, kNow)).exit_code, 0);
  const std::string manifest_path = Files(".manifest.json")[0];
  std::string manifest = ReadText(manifest_path);
  const std::string original = "\"type\": \"numeric(12,3)\"";
  const std::string hostile =
      "numeric); COMMIT; DROP TABLE public.reference; BEGIN; CREATE TABLE public.planted "
      "(amount numeric";
  ASSERT_THAT(manifest, HasSubstr(original));
  manifest.replace(manifest.find(original), original.size(), "\"type\": \"" + hostile + "\"");
  std::ofstream(manifest_path) << manifest;
  const std::string before = CatalogFingerprint();

  const CliResult r = RunCli(fmt::format("restore --config {} {}", config, manifest_path));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(fmt::format("manifest {}: column \"amount\": type \"{}\" is not one "
                                           "the server knows; nothing restored",
                                           manifest_path, hostile)))
      << r.out << r.err;
  EXPECT_TRUE(TableExists("public.reference"));
  EXPECT_FALSE(TableExists("public.planted"));
  EXPECT_FALSE(TableExists("app.events_p20240101"));
  EXPECT_EQ(CatalogFingerprint(), before);
}

TEST_F(ArchiveTest, CorruptArchiveIsCaughtByVerificationAndNothingIsDropped) {
  CreateEvents(3000);
  const config::Config config = config::LoadConfigFile(Config(ArchiveDir()));
  auto env = MakeSystemEnv();
  maintenance::PassOptions options{.apply = true, .now_is_explicit = true};
  int corrupted = 0;
  options.before_archive_verify = [&corrupted](const std::string& path) {
    // Flip one byte in the middle of the file, after it was written and before it is verified.
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(0, std::ios::end);
    const auto middle = file.tellg() / 2;
    file.seekg(middle);
    const char byte = static_cast<char>(file.get());
    file.seekp(middle);
    file.put(static_cast<char>(byte ^ 0x20));
    ++corrupted;
  };
  const auto now = std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_days(std::chrono::year(2024) / 4 / 15).time_since_epoch());
  const maintenance::DatabaseReport report = RunToCompletion(maintenance::RunPass(
      config.databases[0], config.maintenance, *env, std::chrono::sys_seconds(now), options));
  EXPECT_EQ(corrupted, 1);
  EXPECT_EQ(maintenance::ExitCode({report}), 1);
  ExpectJanuaryIntact(3000);
  EXPECT_THAT(Files(".copy.zst"), IsEmpty());  // the bad archive is not kept
  EXPECT_EQ(AuditSteps(), "detach:ok write:ok verify:failed summary:failed");
  EXPECT_EQ(QueryText("SELECT sqlstate FROM partitiond.audit WHERE step IS NULL AND action = "
                      "'archive'"),
            "XX001");
  ExpectNextPassArchives(Config(ArchiveDir()), 3000);
}

// A process killed while it verifies the archive (here: at the fault-injection hook, just before
// the read-back) leaves only the .partial it was verifying: no final-named archive and no
// manifest that would claim an archive nobody verified. The next pass cleans it up and archives.
TEST_F(ArchiveTest, KillNineBeforeVerificationLeavesOnlyAPartial) {
  CreateEvents(3000);
  const config::Config config = config::LoadConfigFile(Config(ArchiveDir()));
  const auto now = std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_days(std::chrono::year(2024) / 4 / 15).time_since_epoch());
  // The pass runs in a child process (a death test) that SIGKILLs itself at the hook.
  const auto pass_killed_at_verification = [&config, now] {
    auto env = MakeSystemEnv();
    maintenance::PassOptions options{.apply = true, .now_is_explicit = true};
    options.before_archive_verify = [](const std::string&) { raise(SIGKILL); };
    RunToCompletion(maintenance::RunPass(config.databases[0], config.maintenance, *env,
                                         std::chrono::sys_seconds(now), options));
    std::exit(0);
  };
  EXPECT_EXIT(pass_killed_at_verification(), ::testing::KilledBySignal(SIGKILL), "");
  EXPECT_THAT(Files(".copy.zst"), IsEmpty());
  EXPECT_THAT(Files(".manifest.json"), IsEmpty());
  EXPECT_THAT(Files(".partial"), SizeIs(1));
  ExpectJanuaryIntact(3000);
  ExpectNextPassArchives(Config(ArchiveDir()), 3000);
}

TEST_F(ArchiveTest, KillNineMidCopyLosesNothingAndTheNextPassCompletes) {
  CreateEvents(400000);
  const std::string config = Config(ArchiveDir());
  ASSERT_TRUE(fs::create_directories(PartitionDir()));
  FileWatch watch(PartitionDir());
  DaemonProcess once("once", {"once", "--config", config, "--now", kNow});
  const std::string partial = watch.WaitForWrite(".copy.zst.partial", kWait);
  ASSERT_FALSE(partial.empty()) << once.Output();
  once.Signal(SIGKILL);
  ASSERT_EQ(once.WaitExit(kWait), 128 + SIGKILL) << "the COPY finished before the kill";
  EXPECT_THAT(Files(".partial"), SizeIs(1));  // what a killed process leaves
  ExpectJanuaryIntact(400000);
  ExpectNextPassArchives(config, 400000);
}

TEST_F(ArchiveTest, ServerRestartMidCopyLosesNothingAndTheNextPassCompletes) {
  CreateEvents(400000);
  const std::string config = Config(ArchiveDir());
  ASSERT_TRUE(fs::create_directories(PartitionDir()));
  FileWatch watch(PartitionDir());
  DaemonProcess once("once", {"once", "--config", config, "--now", kNow});
  ASSERT_FALSE(watch.WaitForWrite(".copy.zst.partial", kWait).empty()) << once.Output();
  PgCluster::Shared().Restart();
  conn_.emplace(PgCluster::Shared().Connect(dbname_));
  const std::optional<int> code = once.WaitExit(kWait);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0) << once.Output();
  EXPECT_THAT(Files(".partial"), IsEmpty());  // a failed archive removes its own file
  ExpectJanuaryIntact(400000);
  ExpectNextPassArchives(config, 400000);
}

// Both file-system faults: the pass fails the archive with the file and the reason, drops
// nothing, leaves no partial file, and audits the failed write step.
void ExpectFailedWrite(const CliResult& result, const std::string& reason) {
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.err, HasSubstr(reason));
  EXPECT_THAT(result.err, HasSubstr("archive app.events_p20240101"));
}

TEST_F(ArchiveTest, FullDiskDropsNothingAndSaysWhy) {
  CreateEvents(20000);
  const std::string config = Config(ArchiveDir());
  // A 64 KiB file-size limit: the archive (several hundred KiB) cannot be written (EFBIG).
  const CliResult full =
      RunCli(fmt::format("once --config {} --now {}", config, kNow), "prlimit --fsize=65536 --");
  ExpectFailedWrite(full, "File too large");
  ExpectJanuaryIntact(20000);
  EXPECT_THAT(Files(".partial"), IsEmpty());
  EXPECT_EQ(AuditSteps(), "detach:ok write:failed summary:failed");
  EXPECT_EQ(QueryText("SELECT sqlstate FROM partitiond.audit WHERE step IS NULL AND action = "
                      "'archive'"),
            "58030");
  ExpectNextPassArchives(config, 20000);
}

TEST_F(ArchiveTest, UnwritableArchiveDirDropsNothingAndSaysWhy) {
  CreateEvents(1000);
  const std::string config = Config(ArchiveDir());
  ASSERT_TRUE(fs::create_directories(ArchiveDir()));
  // Root ignores permissions: a read-only file system stops it; anyone else, mode 0500.
  const bool as_root = geteuid() == 0;
  if (as_root) {
    ASSERT_EQ(mount("tmpfs", ArchiveDir().c_str(), "tmpfs", MS_RDONLY, "size=1m"), 0)
        << "cannot mount a read-only tmpfs: " << std::strerror(errno);
  } else {
    ASSERT_EQ(chmod(ArchiveDir().c_str(), 0500), 0);
  }
  const CliResult denied = RunCli(fmt::format("once --config {} --now {}", config, kNow));
  if (as_root) {
    ASSERT_EQ(umount(ArchiveDir().c_str()), 0);
  } else {
    ASSERT_EQ(chmod(ArchiveDir().c_str(), 0700), 0);
  }
  ExpectFailedWrite(denied, as_root ? "Read-only file system" : "Permission denied");
  EXPECT_THAT(denied.err, HasSubstr(ArchiveDir()));
  ExpectJanuaryIntact(1000);
  EXPECT_EQ(AuditSteps(), "detach:ok write:failed summary:failed");
  ExpectNextPassArchives(config, 1000);
}

// The daemon is not a superuser: as a member of the owner role it is subject to FORCE ROW LEVEL
// SECURITY, and a policy that hides rows from it must not hide them from the archive (which
// would then verify an empty file against an equally filtered count(*) and drop the partition).
TEST_F(ArchiveTest, ForcedRowLevelSecurityHidesNoRowsFromTheArchive) {
  CreateEvents(500);
  conn_->Exec(
      "ALTER TABLE app.events_p20240101 ENABLE ROW LEVEL SECURITY;"
      "ALTER TABLE app.events_p20240101 FORCE ROW LEVEL SECURITY;"
      "CREATE POLICY tenant_isolation ON app.events_p20240101 USING "
      "(current_setting('app.tenant_id', true) IS NOT NULL AND false)");
  const std::string config = Config(ArchiveDir());
  const CliResult once = RunCli(fmt::format("once --config {} --now {}", config, kNow));
  ASSERT_EQ(once.exit_code, 0) << once.out << once.err;
  ASSERT_THAT(Files(".manifest.json"), SizeIs(1));
  EXPECT_THAT(ReadText(Files(".manifest.json")[0]), HasSubstr("\"rows\": 500"));
  const CliResult restore =
      RunCli(fmt::format("restore --config {} {}", config, Files(".manifest.json")[0]));
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  EXPECT_EQ(Differences("app.events_p20240101"), 0);
}

TEST_F(ArchiveTest, DetachIntoArchiveSchemaKeepsTheTable) {
  CreateEvents(100);
  conn_->Exec("CREATE SCHEMA old_events");
  const std::string config = WriteConfig(
      "      - { name: app.events, interval: 1 month, premake: 1, retention: 2 "
      "months, retention_action: detach, archive_schema: old_events }\n");
  const CliResult once = RunCli(fmt::format("once --config {} --now {}", config, kNow));
  ASSERT_EQ(once.exit_code, 0) << once.out << once.err;
  EXPECT_FALSE(TableExists("app.events_p20240101"));
  ASSERT_TRUE(TableExists("old_events.events_p20240101"));
  EXPECT_EQ(Differences("old_events.events_p20240101"), 0);
  // No mark is left behind: it is an ordinary table now.
  EXPECT_EQ(QueryText("SELECT coalesce(obj_description('old_events.events_p20240101'::regclass, "
                      "'pg_class'), '')"),
            "");
}

}  // namespace
}  // namespace partitiond::testing
