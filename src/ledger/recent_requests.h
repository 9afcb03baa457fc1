#pragma once
// The last N requests by id, so feedback on a fresh answer finds its tier and
// key (and the verdict it replaces) before the request's row is committed.
// A ring of slots whose strings are reused, indexed by a flat hash table of
// views into them: remembering a request allocates nothing once the ring has
// gone round, and a lookup touches one slot. Not thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "accounting/request_record.h"

namespace fulcrum {

class RecentRequests {
 public:
  struct Entry {
    FeedbackTarget target;
    std::optional<FeedbackRecord::Verdict> verdict;  // the latest feedback's
  };

  explicit RecentRequests(std::size_t capacity);
  // Keeps the request (the oldest one leaves when full); one already kept is left as it is, an empty id ignored.
  void remember(std::string_view id, std::string_view tier, std::string_view key);
  // The request, or nullptr when it is not (or no longer) kept.
  Entry* find(std::string_view id);

 private:
  struct Slot {
    std::string id;  // empty: unused
    Entry entry;
  };
  std::vector<Slot> slots_;
  std::size_t next_ = 0;  // the slot the next request takes
  boost::unordered_flat_map<std::string_view, std::uint32_t, std::hash<std::string_view>> by_id_;  // views of slot ids
};

}  // namespace fulcrum
