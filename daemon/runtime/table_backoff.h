// Backs off one table that repeatedly cannot be read (missing, wrong kind of partitioning, ...),
// without slowing the others: after n consecutive failed passes a table sits out the next 2^(n-1) -
// 1 passes (at most 15), so a table that is broken until an operator fixes it costs one attempt per
// 16 passes instead of one per pass.
#pragma once

#include <map>
#include <string>

namespace partitiond::runtime {

class TableBackoff {
 public:
  // Whether `table` sits out the pass about to start. Call once per table per pass.
  bool SkipThisPass(const std::string& table);
  // The outcome of a pass the table took part in.
  void Record(const std::string& table, bool failed);

  int consecutive_failures(const std::string& table) const;

 private:
  struct State {
    int failures = 0;
    int passes_to_skip = 0;
  };
  std::map<std::string, State> tables_;
};

}  // namespace partitiond::runtime
