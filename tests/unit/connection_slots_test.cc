// ConnectionSlots: who gives up a slot of the metrics endpoint when all are taken.
#include "daemon/metrics/connection_slots.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace partitiond::metrics {
namespace {

using State = ConnectionSlots::State;
using Id = ConnectionSlots::Id;

struct Case {
  std::string name;
  int capacity;
  // Admitted in order (ids 0, 1, ...); then these state changes, in this order.
  std::vector<std::pair<Id, State>> changes;
  std::optional<Id> evicted;  // by the next admission; empty with `refused` or a free slot
  bool refused = false;
};

TEST(ConnectionSlotsTest, WhoMakesRoomForANewConnection) {
  const std::vector<Case> cases = {
      {"a free slot: nobody", 3, {}, std::nullopt},
      {"all idle: the first admitted", 2, {}, Id{0}},
      {"idle the longest, not admitted first", 2, {{0, State::kReading}, {0, State::kIdle}}, Id{1}},
      {"idle before reading", 2, {{1, State::kReading}}, Id{0}},
      {"idle before reading, however old", 2, {{0, State::kReading}}, Id{1}},
      {"none idle: reading the longest",
       3,
       {{2, State::kReading}, {0, State::kReading}, {1, State::kWriting}},
       Id{2}},
      {"all writing: refused", 2, {{0, State::kWriting}, {1, State::kWriting}}, std::nullopt, true},
      {"a writer back to idle is evictable",
       2,
       {{0, State::kWriting}, {1, State::kWriting}, {1, State::kIdle}},
       Id{1}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ConnectionSlots slots(c.capacity);
    const int admitted = c.name.starts_with("a free slot") ? c.capacity - 1 : c.capacity;
    for (int i = 0; i < admitted; ++i) ASSERT_EQ(slots.Admit().id, Id(i));
    for (const auto& [id, state] : c.changes) slots.Set(id, state);
    const ConnectionSlots::Admission next = slots.Admit();
    EXPECT_EQ(next.evict, c.evicted);
    EXPECT_EQ(next.id.has_value(), !c.refused);
    EXPECT_LE(slots.open(), c.capacity);
  }
}

TEST(ConnectionSlotsTest, AnEvictedOrReleasedConnectionIsForgotten) {
  ConnectionSlots slots(2);
  ASSERT_EQ(slots.Admit().id, Id{0});
  ASSERT_EQ(slots.Admit().id, Id{1});
  const auto third = slots.Admit();
  ASSERT_EQ(third.evict, Id{0});
  EXPECT_EQ(slots.open(), 2);
  // The evicted one's coroutine still reports in before it ends: no effect.
  slots.Set(0, State::kReading);
  slots.Release(0);
  EXPECT_EQ(slots.open(), 2);
  slots.Release(1);
  EXPECT_EQ(slots.open(), 1);
  EXPECT_EQ(slots.Admit().evict, std::nullopt);
}

}  // namespace
}  // namespace partitiond::metrics
