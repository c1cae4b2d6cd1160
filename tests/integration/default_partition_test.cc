// Parents with a default partition: stray rows are moved out online into the partitions created
// for their ranges, with nothing lost or duplicated under concurrent inserts; ATTACH does not scan
// the default for ranges ahead of now; default_partition: create | none.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;

std::string EventsConfig(const std::string& extra = "") {
  return "      - name: app.events\n"
         "        interval: 1 month\n"
         "        premake: 2\n" +
         extra;
}

class DefaultPartitionTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    // RLS forced by tenant, as on the demo tables: the move must see every tenant's rows.
    conn_->Exec(
        "CREATE SCHEMA app; CREATE TABLE app.events (id bigint NOT NULL, tenant_id int NOT NULL, "
        "at timestamptz NOT NULL, body text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);"
        "ALTER TABLE app.events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
        "CREATE POLICY tenant ON app.events USING "
        "(tenant_id = current_setting('app.tenant_id', true)::int);");
  }

  // The default partition (made the low-lock way would not matter here: it is the setup).
  void CreateDefault() {
    conn_->Exec(
        "CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;"
        "ALTER TABLE app.events_default ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
        "CREATE POLICY tenant ON app.events_default USING "
        "(tenant_id = current_setting('app.tenant_id', true)::int);");
  }

  // count, distinct ids and a checksum of every row's content, through the parent.
  std::string Content() {
    return QueryText(
        "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || "
        "coalesce(sum(hashtext(e::text)::bigint), 0) FROM app.events e");
  }
};

TEST_F(DefaultPartitionTest, StrayRowsMoveOutAndAttachAheadOfNowSkipsTheDefaultScan) {
  CreateDefault();
  conn_->Exec(
      "CREATE TABLE app.events_p20270301 PARTITION OF app.events FOR VALUES FROM ('2027-03-01') "
      "TO ('2027-04-01');"
      // 12,000 rows dated in May (a partition the pass creates ahead of now), 500 far ahead
      // (no partition will be made for them), a few with no tenant.
      "INSERT INTO app.events SELECT i, i % 7, '2027-05-01'::timestamptz + i * interval '3 min', "
      "'row ' || i FROM generate_series(1, 12000) i;"
      "INSERT INTO app.events SELECT 100000 + i, 1, '2040-01-01'::timestamptz + i * interval '1 "
      "h', "
      "NULL FROM generate_series(1, 500) i;");
  const std::string before = Content();
  // Debug messages of the daemon's sessions reach the server log: ATTACH says there whether it
  // had to scan the default partition.
  conn_->Exec("ALTER DATABASE " + dbname_ + " SET log_min_messages = debug1");
  const std::string config = WriteConfig(EventsConfig());
  const CliResult r = RunCli("once --config " + config + " --now 2027-03-15T12:00:00Z");
  conn_->Exec("ALTER DATABASE " + dbname_ + " RESET log_min_messages");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  EXPECT_EQ(Content(), before);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_p20270501"), 12000);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_default"), 500);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_p20270401"), 0);
  // Nothing of ours left behind; RLS forced again on both tables.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'partitiond_%'"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_description WHERE description LIKE 'partitiond:%'"),
            0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname IN ('events_default', "
                     "'events_p20270501') AND relforcerowsecurity AND relrowsecurity"),
            2);
  EXPECT_EQ(QueryInt("SELECT (detail->>'rows')::int FROM partitiond.audit WHERE step = "
                     "'move_rows' AND partition_name = 'app.events_p20270501'"),
            12000);

  std::ifstream log(PgCluster::Shared().server_log());
  std::stringstream text;
  text << log.rdbuf();
  // Both new partitions lie ahead of now: for each ATTACH the validated exclusion CHECK proved the
  // default partition clean (PostgreSQL logs this instead of scanning it).
  const std::string implied = dbname_ +
                              "|partitiond| DEBUG:  updated partition constraint for default "
                              "partition \"events_default\" is implied by existing constraints";
  int attaches_without_scan = 0;
  for (std::string line; std::getline(text, line);) attaches_without_scan += line == implied;
  EXPECT_EQ(attaches_without_scan, 2);
}

TEST_F(DefaultPartitionTest, ConcurrentInsertsContinueAndNoRowIsLostOrDuplicated) {
  CreateDefault();
  // No partition for the current month (nor any): its rows sit in the default, and the
  // application keeps inserting current rows there while the pass moves them out.
  conn_->Exec(
      "INSERT INTO app.events SELECT i, i % 7, '2027-03-01'::timestamptz + i * interval '20 s', "
      "md5(i::text) FROM generate_series(1, 60000) i;");  // 1 to 14 March
  std::atomic<bool> stop = false;
  std::atomic<long long> inserted = 0, failed = 0;
  std::string failure;
  std::thread writer([&] {
    pg::Connection app = PgCluster::Shared().Connect(dbname_);
    for (long long id = 1'000'000; !stop; ++id) {
      try {
        app.Exec(
            "INSERT INTO app.events VALUES ($1, 3, '2027-03-15 12:00:00+00'::timestamptz + "
            "($1::bigint % 3600) * interval '1 s', 'live')",
            {std::to_string(id)});
        ++inserted;
      } catch (const std::exception& e) {
        ++failed;
        failure = e.what();
      }
    }
  });
  const std::string config = WriteConfig(EventsConfig());
  const CliResult r = RunCli("once --config " + config + " --now 2027-03-15T12:00:00Z");
  const long long during = inserted;
  stop = true;
  writer.join();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GT(during, 0) << "the writer did not insert while the pass ran";
  EXPECT_EQ(failed, 0) << failure;

  const long long expected = 60000 + inserted;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events"), expected);
  EXPECT_EQ(QueryInt("SELECT count(DISTINCT id) FROM app.events"), expected);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events WHERE body = 'live'"), inserted);
  EXPECT_EQ(QueryInt("SELECT coalesce(sum(id), 0) FROM app.events WHERE id < 1000000"),
            60000LL * 60001 / 2);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_default"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_p20270301"), expected);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'partitiond_%'"), 0);
}

TEST_F(DefaultPartitionTest, CreateMakesOneWithTheParentsSecurityAndNoneRemovesItOnlyWhenEmpty) {
  const std::string create = WriteConfig(EventsConfig("        default_partition: create\n"));
  const CliResult made = RunCli("once --config " + create + " --now 2027-03-15T12:00:00Z");
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  EXPECT_EQ(QueryText("SELECT pg_get_expr(relpartbound, oid) || ' ' || relforcerowsecurity || ' ' "
                      "|| (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) FROM pg_class c "
                      "WHERE relname = 'events_default'"),
            "DEFAULT true 1");

  conn_->Exec("INSERT INTO app.events VALUES (1, 1, '2040-01-01', 'far ahead')");
  const std::string none = WriteConfig(EventsConfig("        default_partition: none\n"));
  const CliResult kept = RunCli("once --config " + none + " --now 2027-03-15T12:00:00Z");
  // The policy cannot be met: reported as a skipped action, and the pass does not succeed.
  EXPECT_EQ(kept.exit_code, 1) << kept.out << kept.err;
  EXPECT_THAT(kept.out + kept.err, HasSubstr("holds rows outside every partition's range"));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events"), 1);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE action = 'drop_default' AND "
                     "outcome = 'skipped'"),
            1);

  conn_->Exec("DELETE FROM app.events");
  const CliResult dropped = RunCli("once --config " + none + " --now 2027-03-15T12:00:00Z");
  ASSERT_EQ(dropped.exit_code, 0) << dropped.out << dropped.err;
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events_default'"), 0);
}

TEST_F(DefaultPartitionTest, ATableOfTheSameNameThatIsNotOursIsLeftAlone) {
  CreateDefault();
  conn_->Exec(
      "INSERT INTO app.events VALUES (1, 1, '2027-03-02', 'stray');"
      "CREATE TABLE app.events_p20270301 (LIKE app.events); INSERT INTO app.events_p20270301 "
      "VALUES (2, 1, '2027-03-03', 'theirs')");
  const std::string config = WriteConfig(EventsConfig());
  const CliResult r = RunCli("once --config " + config + " --now 2027-03-15T12:00:00Z");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out + r.err,
              HasSubstr("app.events_p20270301 already exists and is not a partition"));
  EXPECT_EQ(QueryText("SELECT string_agg(body, ',' ORDER BY id) FROM app.events_p20270301"),
            "theirs");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_default"), 1);
}

}  // namespace
}  // namespace partitiond::testing
