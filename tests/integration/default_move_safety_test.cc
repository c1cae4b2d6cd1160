// Moving rows out of a default partition changes nothing but their location, or does not happen:
// rows of a new partition's range that sit in the default partition are moved by DELETE ...
// RETURNING into the new table, and that DELETE would fire the default's DELETE triggers (the
// referential actions PostgreSQL clones onto the leaves of a referenced table, user audit and
// soft-delete triggers) and be published as deletions. Such a move is refused with the reason and
// the rows stay where they are; a default partition holding rows that break a NOT VALID CHECK of
// the parent still gives the current month its partition; row contents never reach the output or
// the audit table; and ATTACH beside a default too large to scan within lock_timeout is deferred
// instead of holding writers for the scan.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/database_test.h"

namespace partitiond::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kEventsConfig =
    "      - name: app.events\n"
    "        interval: 1 month\n"
    "        premake: 2\n";
constexpr const char* kNow = " --now 2027-03-15T12:00:00Z";

class DefaultMoveSafetyTest : public DatabaseTest {
 protected:
  void SetUp() override {
    DatabaseTest::SetUp();
    // No partition for March: its rows sit in the default partition, and the pass at 15 March
    // creates March (holding now), April and May (ahead of now).
    conn_->Exec(
        "CREATE SCHEMA app; CREATE TABLE app.events (id bigint NOT NULL, at timestamptz NOT NULL, "
        "body text, deleted boolean NOT NULL DEFAULT false, PRIMARY KEY (id, at)) "
        "PARTITION BY RANGE (at);"
        "CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;"
        "INSERT INTO app.events (id, at, body) SELECT i, '2027-03-01'::timestamptz + i * "
        "interval '1 h', 'row ' || i FROM generate_series(1, 300) i;"
        "CREATE TABLE app.outbox (event_id bigint, op text);");
  }

  CliResult Once() { return RunCli("once --config " + WriteConfig(kEventsConfig) + kNow); }

  std::string Content() {
    return QueryText(
        "SELECT count(*) || ' ' || coalesce(sum(hashtext(e::text)::bigint), 0) FROM app.events e");
  }

  // The refused move left everything as it was: the rows in the default partition, unchanged,
  // and no table built for March; the ranges ahead of now (nothing of theirs to move) were made.
  void ExpectRefusedAndUntouched(const CliResult& r, const std::string& before,
                                 const std::string& reason) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.out + r.err, HasSubstr("default partition app.events_default holds rows of its "
                                         "range, and moving them out would also set off"));
    EXPECT_THAT(r.out + r.err, HasSubstr(reason));
    EXPECT_EQ(Content(), before);
    EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_default"), 300);
    EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events_p20270301'"), 0);
    EXPECT_EQ(Partitions("app.events"),
              (std::vector<std::string>{"events_default DEFAULT",
                                        "events_p20270401 [2027-04-01 00:00:00+00, 2027-05-01 "
                                        "00:00:00+00)",
                                        "events_p20270501 [2027-05-01 00:00:00+00, 2027-06-01 "
                                        "00:00:00+00)"}));
    EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'partitiond_%'"), 0);
  }
};

// Each ON DELETE action of a foreign key that references the partitioned table.
class ForeignKeyActionTest : public DefaultMoveSafetyTest,
                             public ::testing::WithParamInterface<const char*> {};

TEST_P(ForeignKeyActionTest, ReferencingRowsAreNeitherDeletedNorChanged) {
  const std::string action = GetParam();
  conn_->Exec(
      "CREATE TABLE app.notes (id int PRIMARY KEY, event_id bigint DEFAULT 0, "
      "event_at timestamptz DEFAULT '2027-03-01 01:00+00', "
      "CONSTRAINT notes_event_fk FOREIGN KEY (event_id, event_at) REFERENCES app.events (id, at) "
      "ON DELETE " +
      action +
      ");"
      "INSERT INTO app.notes SELECT i, i, '2027-03-01'::timestamptz + i * interval '1 h' "
      "FROM generate_series(1, 300) i;");
  const std::string notes =
      QueryText("SELECT count(*) || ' ' || count(event_id) || ' ' || sum(event_id) FROM app.notes");
  const std::string before = Content();

  const CliResult r = Once();
  ExpectRefusedAndUntouched(r, before,
                            "the ON DELETE " + action +
                                " action of foreign key notes_event_fk "
                                "on app.notes");
  EXPECT_EQ(
      QueryText("SELECT count(*) || ' ' || count(event_id) || ' ' || sum(event_id) FROM app.notes"),
      notes);
  // No key value reached the output (a NO ACTION failure's detail names the key).
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("Key (")));
}

INSTANTIATE_TEST_SUITE_P(EveryAction, ForeignKeyActionTest,
                         ::testing::Values("CASCADE", "SET NULL", "SET DEFAULT", "NO ACTION",
                                           "RESTRICT"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::erase(name, ' ');
                           return name;
                         });

TEST_F(DefaultMoveSafetyTest, ARowTriggerOnTheParentWritesNoBogusDeletions) {
  // An outbox trigger on the parent is cloned onto every partition, the default among them.
  conn_->Exec(
      "CREATE FUNCTION app.outbox_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO app.outbox VALUES (OLD.id, 'delete'); RETURN OLD; END $$;"
      "CREATE TRIGGER events_outbox AFTER DELETE ON app.events FOR EACH ROW "
      "EXECUTE FUNCTION app.outbox_delete();");
  const std::string before = Content();
  const CliResult r = Once();
  ExpectRefusedAndUntouched(r, before, "row trigger events_outbox on app.events_default");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.outbox"), 0);
}

TEST_F(DefaultMoveSafetyTest, ASoftDeleteTriggerMarksNothingDeleted) {
  // BEFORE DELETE ... RETURN NULL: the row is kept but marked deleted, and the move is blocked.
  conn_->Exec(
      "CREATE FUNCTION app.soft_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "UPDATE app.events SET deleted = true WHERE id = OLD.id AND at = OLD.at; RETURN NULL; "
      "END $$;"
      "CREATE TRIGGER events_soft_delete BEFORE DELETE ON app.events FOR EACH ROW "
      "EXECUTE FUNCTION app.soft_delete();");
  const std::string before = Content();
  const CliResult r = Once();
  ExpectRefusedAndUntouched(r, before, "row trigger events_soft_delete on app.events_default");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events WHERE deleted"), 0);
}

TEST_F(DefaultMoveSafetyTest, AStatementTriggerOnTheDefaultRefusesTheMove) {
  conn_->Exec(
      "CREATE FUNCTION app.outbox_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO app.outbox VALUES (NULL, TG_OP); RETURN NULL; END $$;"
      "CREATE TRIGGER default_audit AFTER DELETE ON app.events_default FOR EACH STATEMENT "
      "EXECUTE FUNCTION app.outbox_statement();");
  const std::string before = Content();
  const CliResult r = Once();
  ExpectRefusedAndUntouched(r, before, "statement trigger default_audit on app.events_default");
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.outbox"), 0);
}

TEST_F(DefaultMoveSafetyTest, AStatementTriggerOnTheParentDoesNotFireAndTheMoveProceeds) {
  // Statement triggers are not cloned onto partitions: a DELETE on the default alone fires none
  // of the parent's, so the move goes ahead and nothing is written to the outbox.
  conn_->Exec(
      "CREATE FUNCTION app.outbox_statement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO app.outbox VALUES (NULL, TG_OP); RETURN NULL; END $$;"
      "CREATE TRIGGER events_audit AFTER DELETE ON app.events FOR EACH STATEMENT "
      "EXECUTE FUNCTION app.outbox_statement();");
  const std::string before = Content();
  const CliResult r = Once();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Content(), before);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_p20270301"), 300);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_default"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.outbox"), 0);
}

TEST_F(DefaultMoveSafetyTest, APublishedTableIsNotMovedUnderItsSubscribers) {
  // A subscriber would receive the move as deletions, and the insert into a table that is not
  // attached yet (not published) never: the rows would vanish downstream.
  conn_->Exec("CREATE PUBLICATION events_pub FOR TABLE app.events");
  const std::string before = Content();
  const CliResult r = Once();
  ExpectRefusedAndUntouched(r, before, "publication events_pub");
}

TEST_F(DefaultMoveSafetyTest, RowsBreakingANotValidCheckStillGetTheirPartitionAndStayPrivate) {
  // A CHECK added NOT VALID after the fact: one row in the default breaks it. The new partition
  // gets the CHECK NOT VALID, as its parent has it, after the rows moved in.
  conn_->Exec(
      "INSERT INTO app.events (id, at, body) VALUES (1000, '2027-03-10', 'card 4111-1111-1111');"
      "ALTER TABLE app.events ADD CONSTRAINT no_card_numbers "
      "CHECK (body NOT LIKE 'card %') NOT VALID;");
  const std::string before = Content();
  const CliResult r = Once();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Content(), before);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_p20270301"), 301);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM ONLY app.events_default"), 0);
  EXPECT_EQ(QueryText("SELECT string_agg(conname || ' ' || convalidated, ',') FROM pg_constraint "
                      "WHERE conrelid = 'app.events_p20270301'::regclass AND contype = 'c'"),
            "no_card_numbers false");
  EXPECT_EQ(
      QueryInt(
          "SELECT count(*) FROM pg_class WHERE relname LIKE 'events_p2027%' AND relkind = 'r'"),
      3);
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("4111")));
  EXPECT_EQ(QueryInt("SELECT count(*) FROM partitiond.audit WHERE audit::text LIKE '%4111%'"), 0);
}

TEST_F(DefaultMoveSafetyTest, AttachBesideALargeDefaultIsDeferredInsteadOfHoldingWriters) {
  // Four million rows from 2001 (no partition will be made for them) make the default partition
  // slow to scan; ATTACH of March (it holds now) would scan it while inserts wait.
  conn_->Exec(
      "INSERT INTO app.events (id, at) SELECT 10000 + i, '2001-01-01'::timestamptz + i * "
      "interval '1 s' FROM generate_series(1, 4000000) i; ANALYZE app.events_default;");
  const std::string config = WriteConfig(kEventsConfig);
  std::atomic<bool> stop = false;
  std::atomic<long long> inserted = 0, worst_ms = 0;
  std::thread writer([&] {
    pg::Connection app = PgCluster::Shared().Connect(dbname_);
    for (long long id = 5'000'000; !stop; ++id) {
      const auto start = std::chrono::steady_clock::now();
      app.Exec("INSERT INTO app.events (id, at, body) VALUES ($1, '2027-03-15 12:00+00', 'live')",
               {std::to_string(id)});
      const long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
      if (ms > worst_ms) worst_ms = ms;
      ++inserted;
    }
  });
  const CliResult r = RunCli("once --config " + config + kNow);
  stop = true;
  writer.join();
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr("app.events_p20270301: not created for now: reading "
                                       "default partition app.events_default takes longer than "
                                       "lock_timeout (100 ms)"));
  EXPECT_GT(inserted, 0);
  // The config's lock_timeout is 100 ms; the scan of four million rows takes several times that.
  EXPECT_LT(worst_ms, 250) << "an insert waited for the scan of the default partition";
  // Nothing moved and nothing half-built: March's rows are where they were, visible.
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname = 'events_p20270301'"), 0);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM app.events WHERE at >= '2027-03-01' AND at < "
                     "'2027-04-01'"),
            300 + inserted);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM pg_class WHERE relname IN ('events_p20270401', "
                     "'events_p20270501')"),
            2);
}

}  // namespace
}  // namespace partitiond::testing
