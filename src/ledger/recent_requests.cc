#include "ledger/recent_requests.h"

namespace fulcrum {

RecentRequests::RecentRequests(std::size_t capacity) : slots_(std::max<std::size_t>(capacity, 1)) {
  by_id_.reserve(slots_.size());
}

void RecentRequests::remember(std::string_view id, std::string_view tier, std::string_view key) {
  if (id.empty() || by_id_.contains(id)) return;
  Slot& slot = slots_[next_];
  if (!slot.id.empty()) by_id_.erase(slot.id);  // before its string changes under the view
  slot.id.assign(id);
  slot.entry.target.tier.assign(tier);
  slot.entry.target.key.assign(key);
  slot.entry.verdict.reset();
  by_id_.emplace(slot.id, static_cast<std::uint32_t>(next_));
  next_ = (next_ + 1) % slots_.size();
}

RecentRequests::Entry* RecentRequests::find(std::string_view id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &slots_[it->second].entry;
}

}  // namespace fulcrum
