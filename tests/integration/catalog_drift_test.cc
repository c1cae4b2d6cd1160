// Security drift as the catalog reader sees it (daemon/catalog/reader.cc compares it in SQL): a
// partition drifts when its owner, RLS flags, grants other than the owner's (as a set, whoever
// granted them) or policies (deparsed, so column numbers may differ) are not its parent's. Each
// partition below is tampered with in one way, and `fidelity: report` must name exactly the ones
// that differ.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

class CatalogDriftTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    // Roles are cluster-wide: names carry the database so tests never collide.
    app_ = conn_->QuoteIdentifier(dbname_ + "_app");
    auditor_ = conn_->QuoteIdentifier(dbname_ + "_auditor");
    other_ = conn_->QuoteIdentifier(dbname_ + "_other");
    conn_->Exec("CREATE ROLE " + app_ + "; CREATE ROLE " + auditor_ + "; CREATE ROLE " + other_ +
                "; CREATE SCHEMA app; GRANT USAGE ON SCHEMA app TO " + app_ + ", " + auditor_ +
                ";"
                // A parent with everything a partition must share...
                "CREATE TABLE app.events (tenant int NOT NULL, at timestamptz NOT NULL) "
                "PARTITION BY RANGE (at);"
                "ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;"
                "ALTER TABLE app.events FORCE ROW LEVEL SECURITY;"
                "CREATE POLICY tenant ON app.events USING (tenant = 1);"
                "CREATE POLICY recent ON app.events AS RESTRICTIVE FOR SELECT TO " +
                app_ + " USING (at > '2000-01-01');" + "GRANT SELECT, INSERT ON app.events TO " +
                app_ + "; GRANT SELECT ON app.events TO " + auditor_ +
                " WITH GRANT OPTION;"
                // ... a hand-made partition whose columns have other numbers (the first pass
                // repairs it, so its policies are the parent's deparsed onto other attnums) ...
                "CREATE TABLE app.events_shifted (gone int, tenant int NOT NULL, "
                "at timestamptz NOT NULL); ALTER TABLE app.events_shifted DROP COLUMN gone;"
                "ALTER TABLE app.events ATTACH PARTITION app.events_shifted FOR VALUES FROM "
                "('2026-10-01') TO ('2026-11-01');"
                // ... and a parent with no grants, policies or RLS at all.
                "CREATE TABLE app.plain (at timestamptz NOT NULL) PARTITION BY RANGE (at);");
  }

  std::string Config(const std::string& fidelity) {
    return WriteConfig(
        "      - { name: app.events, interval: 1 month, premake: 8, fidelity: " + fidelity +
        " }\n      - { name: app.plain, interval: 1 month, premake: 4, fidelity: " + fidelity +
        " }\n");
  }

  // The partitions a `fidelity: report` pass names as drifted.
  std::set<std::string> Reported() {
    const CliResult r = RunCli("once --config " + Config("report") + " --now 2026-11-25T00:00:00Z");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string marker = ": RLS flags, grants or policies differ from the parent's";
    std::set<std::string> names;
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);) {
      const size_t end = line.find(marker);
      if (end == std::string::npos) continue;
      const size_t start = line.rfind(' ', end);
      names.insert(line.substr(start == std::string::npos ? 0 : start + 1,
                               end - (start == std::string::npos ? 0 : start + 1)));
    }
    return names;
  }

  std::string app_, auditor_, other_;
};

TEST_F(CatalogDriftTest, ReportsExactlyThePartitionsWhoseSecurityDiffers) {
  const CliResult first =
      RunCli("once --config " + Config("repair") + " --now 2026-11-25T00:00:00Z");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  ASSERT_EQ(QueryInt("SELECT count(*) FROM pg_inherits WHERE inhparent = 'app.events'::regclass"),
            10);
  EXPECT_THAT(Reported(), ::testing::IsEmpty()) << "the first pass left drift behind";

  conn_->Exec(
      // Not drift: the same grants stored in another order, or granted again by someone else.
      "REVOKE ALL ON app.events_p20261201 FROM " + app_ +
      "; GRANT INSERT, SELECT ON app.events_p20261201 TO " + app_ + "; SET ROLE " + auditor_ +
      "; GRANT SELECT ON app.events_p20270101 TO " + app_ +
      "; RESET ROLE;"
      // Drift, one kind per partition.
      "REVOKE INSERT ON app.events_p20270201 FROM " +
      app_ +
      ";"
      "ALTER TABLE app.events_p20270301 NO FORCE ROW LEVEL SECURITY;"
      "ALTER POLICY tenant ON app.events_p20270401 USING (tenant = 2);"
      "CREATE POLICY extra ON app.events_p20270501 USING (true);"
      "ALTER TABLE app.events_p20270601 OWNER TO " +
      other_ + "; ALTER POLICY recent ON app.events_p20270701 TO " + auditor_ +
      ";"
      // The plain parent: an explicit ACL equal to the default is not drift; anything else is.
      "REVOKE ALL ON app.plain_p20261201 FROM PUBLIC;"
      "GRANT SELECT ON app.plain_p20270101 TO PUBLIC;"
      "ALTER TABLE app.plain_p20270201 ENABLE ROW LEVEL SECURITY;"
      "CREATE POLICY extra ON app.plain_p20270301 USING (true);");

  EXPECT_THAT(
      Reported(),
      ::testing::ElementsAre("app.events_p20270201", "app.events_p20270301", "app.events_p20270401",
                             "app.events_p20270501", "app.events_p20270601", "app.events_p20270701",
                             "app.plain_p20270101", "app.plain_p20270201", "app.plain_p20270301"));
}

}  // namespace
}  // namespace partitiond::testing
