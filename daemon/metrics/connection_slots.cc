#include "daemon/metrics/connection_slots.h"

namespace partitiond::metrics {

ConnectionSlots::Admission ConnectionSlots::Admit() {
  Admission out;
  if (open() >= capacity_) {
    out.evict = Victim();
    if (!out.evict) return out;
    open_.erase(*out.evict);
  }
  out.id = next_id_++;
  open_[*out.id] = Entry{.state = State::kIdle, .since = sequence_++};
  return out;
}

void ConnectionSlots::Set(Id id, State state) {
  const auto it = open_.find(id);
  if (it == open_.end() || it->second.state == state) return;
  it->second = Entry{.state = state, .since = sequence_++};
}

void ConnectionSlots::Release(Id id) { open_.erase(id); }

std::optional<ConnectionSlots::Id> ConnectionSlots::Victim() const {
  // Idle before reading; within a state, the one that entered it first. Writing: never.
  std::optional<Id> best;
  const Entry* best_entry = nullptr;
  for (const auto& [id, entry] : open_) {
    if (entry.state == State::kWriting) continue;
    if (best_entry == nullptr ||
        (entry.state == State::kIdle && best_entry->state == State::kReading) ||
        (entry.state == best_entry->state && entry.since < best_entry->since)) {
      best = id;
      best_entry = &entry;
    }
  }
  return best;
}

}  // namespace partitiond::metrics
