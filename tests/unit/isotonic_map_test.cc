#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "learn/isotonic_map.h"

namespace fulcrum {
namespace {

// Rows whose predicted probability is uniform on [0, 1] but whose outcome is
// a step: 40% good below 0.6, 90% above. No sigmoid of the prediction fits
// that; the map should.
void step_rows(std::size_t n, std::vector<double>& predicted, std::vector<double>& observed) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t i = 0; i < n; ++i) {
    const double p = u(rng);
    predicted.push_back(p);
    observed.push_back(u(rng) < (p < 0.6 ? 0.4 : 0.9) ? 1.0 : 0.0);
  }
}

TEST(IsotonicMap, TakesEachPredictionToWhatCameTrueAroundIt) {
  std::vector<double> predicted, observed;
  step_rows(20000, predicted, observed);
  const auto map = IsotonicMap::fit(predicted, observed);
  ASSERT_FALSE(map.identity());
  EXPECT_NEAR(map.apply(0.1), 0.4, 0.05);
  EXPECT_NEAR(map.apply(0.3), 0.4, 0.05);
  EXPECT_NEAR(map.apply(0.8), 0.9, 0.05);
  EXPECT_NEAR(map.apply(0.95), 0.9, 0.05);
  double last = 0;
  for (double p = 0; p <= 1; p += 0.01) {
    EXPECT_GE(map.apply(p), last) << "monotone at " << p;
    last = map.apply(p);
  }
  // Beyond the knots: the end values, never past the floor.
  EXPECT_EQ(map.apply(-5), map.apply(0));
  EXPECT_EQ(map.apply(7), map.apply(1));
}

TEST(IsotonicMap, TooFewRowsOrAllOneOutcomeStayCautious) {
  std::vector<double> predicted, observed;
  step_rows(IsotonicMap::kMinRows - 1, predicted, observed);
  const auto few = IsotonicMap::fit(predicted, observed);
  EXPECT_TRUE(few.identity());
  EXPECT_EQ(few.apply(0.37), 0.37);

  std::vector<double> p(5000), failed(5000, 0.0);
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<double>(i) / 5000;
  const auto never = IsotonicMap::fit(p, failed);
  ASSERT_FALSE(never.identity());
  EXPECT_GE(never.apply(0.0), IsotonicMap::kFloor) << "rarely, not never";
  EXPECT_LE(never.apply(0.99), 0.5) << "shrunk toward the input by its pseudo-rows only";
}

TEST(IsotonicMap, SavesAndLoadsExactlyAndRefusesBadLines) {
  std::vector<double> predicted, observed;
  step_rows(5000, predicted, observed);
  const auto map = IsotonicMap::fit(predicted, observed);
  std::stringstream io;
  map.save(io);
  auto loaded = IsotonicMap::load(io);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->knots(), map.knots());
  for (double p : {0.0, 0.2, 0.59, 0.61, 0.99}) EXPECT_EQ(loaded->apply(p), map.apply(p));

  std::stringstream empty;
  IsotonicMap{}.save(empty);
  auto identity = IsotonicMap::load(empty);
  ASSERT_TRUE(identity);
  EXPECT_TRUE(identity->identity());

  for (const char* bad : {"", "isotonic", "shape 2 0.1 0.2 0.3 0.4", "isotonic 2 0.1 0.2", "isotonic 1 0.1 0.2 0.3 0.4",
                          "isotonic 1 nan 0.5", "isotonic 1 0.5 1.5", "isotonic 2 0.5 0.5 0.4 0.6",
                          "isotonic 2 0.4 0.6 0.5 0.5"}) {
    std::istringstream in(bad);
    EXPECT_FALSE(IsotonicMap::load(in)) << bad;
  }
}

}  // namespace
}  // namespace fulcrum
