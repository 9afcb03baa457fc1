#include "providers/tier_health.h"

#include <gtest/gtest.h>

namespace fulcrum {

TEST(TierHealth, CoolsDownAfterConsecutiveFailuresOnly) {
  Config c;
  Provider p;
  p.cooldown.failures = 3;
  p.cooldown.duration = std::chrono::milliseconds(1000);
  c.providers.push_back(p);
  c.tiers.resize(2);
  TierHealth h(c);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(h.record_failure(0, t0));
  EXPECT_FALSE(h.record_failure(0, t0));
  h.record_success(0);  // resets the streak
  EXPECT_FALSE(h.record_failure(0, t0));
  EXPECT_FALSE(h.record_failure(0, t0));
  EXPECT_FALSE(h.in_cooldown(0, t0));
  EXPECT_TRUE(h.record_failure(0, t0));
  EXPECT_TRUE(h.in_cooldown(0, t0 + std::chrono::milliseconds(999)));
  EXPECT_FALSE(h.in_cooldown(0, t0 + std::chrono::milliseconds(1001)));
  EXPECT_FALSE(h.in_cooldown(1, t0)) << "tiers cool down independently";
}

}  // namespace fulcrum
