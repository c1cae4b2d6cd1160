// Who keeps a slot of the metrics endpoint when all are taken: a pure bookkeeping class (no
// sockets, no clock), so the policy is tested without I/O.
//
// Each open connection is in one of three states: kIdle (waiting for the first byte of a request,
// whether freshly accepted or kept alive between requests), kReading (a request has begun to
// arrive) or kWriting (a response is being sent). A new connection is admitted while fewer than
// `capacity` are open; when all slots are taken, the connection that has been idle the longest
// gives up its slot, else the one that has been reading the longest (a real scraper sends its
// request in one packet; one still dribbling it in is slow or hostile). Only when every slot is
// writing a response is the new connection refused. So connections that never send a byte cannot
// lock scrapers out: each new one pushes the oldest out.
//
// Not thread-safe; the server uses it from its own thread only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace partitiond::metrics {

class ConnectionSlots {
 public:
  using Id = std::uint64_t;
  enum class State { kIdle, kReading, kWriting };

  struct Admission {
    std::optional<Id> id;     // the new connection's id; empty: refused, close it
    std::optional<Id> evict;  // a connection to close to make room; its slot is already free
  };

  explicit ConnectionSlots(int capacity) : capacity_(capacity) {}

  // A new connection, admitted in state kIdle (see above).
  Admission Admit();
  // Records a connection's new state; an id not open (evicted, released) is ignored.
  void Set(Id id, State state);
  // The connection has closed; an id not open is ignored.
  void Release(Id id);
  int open() const { return static_cast<int>(open_.size()); }

 private:
  struct Entry {
    State state = State::kIdle;
    std::uint64_t since = 0;  // when it entered `state`, as a sequence number
  };
  std::optional<Id> Victim() const;

  const int capacity_;
  Id next_id_ = 0;
  std::uint64_t sequence_ = 0;
  std::map<Id, Entry> open_;
};

}  // namespace partitiond::metrics
