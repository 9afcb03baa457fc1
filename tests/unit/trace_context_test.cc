// W3C traceparent: what is accepted, what starts a new trace, what is forwarded.
#include <gtest/gtest.h>

#include <vector>

#include "core/trace_context.h"

namespace fulcrum {
namespace {

const std::string kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kSpan = "00f067aa0ba902b7";

TEST(TraceParent, AcceptsTheSpecsExamplesAndRefusesTheRest) {
  auto c = parse_traceparent("00-" + kTrace + "-" + kSpan + "-01");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->trace_id, kTrace);
  EXPECT_EQ(c->parent_span_id, kSpan);
  EXPECT_TRUE(c->sampled);
  EXPECT_FALSE(parse_traceparent("00-" + kTrace + "-" + kSpan + "-00")->sampled);
  EXPECT_TRUE(parse_traceparent("00-" + kTrace + "-" + kSpan + "-03")->sampled) << "other flag bits are ignored";
  // A later version may add fields after a dash; version 00 may not.
  EXPECT_TRUE(parse_traceparent("01-" + kTrace + "-" + kSpan + "-01-more"));
  EXPECT_FALSE(parse_traceparent("00-" + kTrace + "-" + kSpan + "-01-more"));
  for (const std::string& bad : std::vector<std::string>{"", "garbage", "00-" + kTrace + "-" + kSpan,
                                "00-" + std::string(32, '0') + "-" + kSpan + "-01",   // all-zero trace
                                "00-" + kTrace + "-" + std::string(16, '0') + "-01",  // all-zero parent
                                "ff-" + kTrace + "-" + kSpan + "-01",                 // forbidden version
                                "00-" + std::string(32, 'A') + "-" + kSpan + "-01",   // upper case
                                "00_" + kTrace + "-" + kSpan + "-01"})
    EXPECT_FALSE(parse_traceparent(bad)) << bad;
}

TEST(TraceParent, StartContinuesAValidParentElseStartsAtTheRatio) {
  auto continued = start_trace("00-" + kTrace + "-" + kSpan + "-01", "vendor=1", 0.0);
  EXPECT_EQ(continued.trace_id, kTrace);
  EXPECT_EQ(continued.parent_span_id, kSpan);
  EXPECT_TRUE(continued.sampled) << "the client's decision wins over the ratio";
  EXPECT_EQ(continued.tracestate, "vendor=1");
  EXPECT_EQ(continued.span_id.size(), 16u);
  EXPECT_NE(continued.span_id, kSpan);
  EXPECT_TRUE(start_trace("00-" + kTrace + "-" + kSpan + "-01", "a=1\r\nX: y", 1).tracestate.empty());

  auto fresh = start_trace("nonsense", "vendor=1", 1.0);
  EXPECT_EQ(fresh.trace_id.size(), 32u);
  EXPECT_TRUE(fresh.parent_span_id.empty());
  EXPECT_TRUE(fresh.sampled);
  EXPECT_TRUE(fresh.tracestate.empty()) << "a tracestate without its traceparent is not forwarded";
  EXPECT_FALSE(start_trace("", "", 0.0).sampled);
  int sampled = 0;
  for (int i = 0; i < 2000; ++i) sampled += start_trace("", "", 0.25).sampled;
  EXPECT_NEAR(sampled / 2000.0, 0.25, 0.05);
  EXPECT_EQ(format_traceparent(kTrace, kSpan, true), "00-" + kTrace + "-" + kSpan + "-01");
}

}  // namespace
}  // namespace fulcrum
