#include "http/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fulcrum {
namespace {

struct Seen {
  std::string raw, data;
  bool has_data;
};

std::vector<Seen> parse_in_pieces(const std::string& input, std::size_t piece) {
  SseParser p;
  std::vector<Seen> out;
  for (std::size_t i = 0; i < input.size(); i += piece) {
    p.feed(std::string_view(input).substr(i, piece));
    SseEvent ev;
    while (p.next(ev)) out.push_back({std::string(ev.raw), std::string(ev.data), ev.has_data});
  }
  return out;
}

}  // namespace

TEST(SseParser, SplitsEventsAndKeepsRawBytesUnderEverySplit) {
  const std::string input =
      "data: {\"a\":1}\n\n"
      ": keep-alive comment\n\n"
      "event: x\r\ndata: line1\r\ndata:line2\r\n\r\n"
      "data: [DONE]\r\r\n";
  for (std::size_t piece = 1; piece <= input.size(); ++piece) {
    auto events = parse_in_pieces(input, piece);
    ASSERT_EQ(events.size(), 4u) << "piece size " << piece;
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[0].raw, "data: {\"a\":1}\n\n");
    EXPECT_FALSE(events[1].has_data);
    EXPECT_EQ(events[1].raw, ": keep-alive comment\n\n");
    EXPECT_EQ(events[2].data, "line1\nline2");
    EXPECT_EQ(events[3].data, "[DONE]");
    std::string rejoined;
    for (const auto& e : events) rejoined += e.raw;
    EXPECT_EQ(rejoined, input) << "relaying raw bytes must reproduce the stream exactly";
  }
}

// Lines longer than a vector step, ending in each of the three line ends at every offset.
TEST(SseParser, FindsLineEndsAtEveryOffsetOfLongLines) {
  const char* const ends[] = {"\n", "\r\n", "\r"};
  std::string input;
  std::vector<std::string> expected;
  for (std::size_t len = 0; len < 70; ++len) {
    const std::string value(len, static_cast<char>('a' + len % 26));
    const char* end = ends[len % 3];
    input += "data: " + value + end + end;
    expected.push_back(value);
  }
  for (std::size_t piece : {1u, 5u, 16u, 17u, 64u, 100000u}) {
    auto events = parse_in_pieces(input, piece);
    ASSERT_EQ(events.size(), expected.size()) << "piece size " << piece;
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(events[i].data, expected[i]) << "line " << i;
  }
}

TEST(SseParser, HoldsAnUnterminatedEvent) {
  SseParser p;
  p.feed("data: partial");
  SseEvent ev;
  EXPECT_FALSE(p.next(ev));
  EXPECT_EQ(p.pending(), "data: partial");
  p.feed("\n\n");
  ASSERT_TRUE(p.next(ev));
  EXPECT_EQ(ev.data, "partial");
  EXPECT_TRUE(p.pending().empty());
}

TEST(SseParser, EmptyDataFieldCountsAsData) {
  SseParser p;
  p.feed("data\n\n");
  SseEvent ev;
  ASSERT_TRUE(p.next(ev));
  EXPECT_TRUE(ev.has_data);
  EXPECT_EQ(ev.data, "");
}

TEST(SseParser, ReportsOverflowOfOneHugeEvent) {
  SseParser p(64);
  p.feed(std::string(100, 'x'));
  EXPECT_TRUE(p.overflowed());
}

}  // namespace fulcrum
