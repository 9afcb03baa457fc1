#include "http/wire_format.h"

#include <gtest/gtest.h>

namespace fulcrum {

TEST(WireFormat, ResponseHeadWithLengthAndExtraHeaders) {
  ResponseHead h{200, 11, true, "application/json", 42, false};
  EXPECT_EQ(format_response_head(h, {{"x-fulcrum-tier", "flash"}}),
            "HTTP/1.1 200 OK\r\nServer: fulcrum\r\nContent-Type: application/json\r\n"
            "x-fulcrum-tier: flash\r\nContent-Length: 42\r\n\r\n");
}

TEST(WireFormat, ChunkedHeadAndConnectionHandling) {
  ResponseHead h{502, 11, false, "text/event-stream", std::nullopt, true};
  EXPECT_EQ(format_response_head(h, {}),
            "HTTP/1.1 502 Bad Gateway\r\nServer: fulcrum\r\nContent-Type: text/event-stream\r\n"
            "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  ResponseHead old{200, 10, true, "a/b", 0, false};
  EXPECT_NE(format_response_head(old, {}).find("HTTP/1.0 200 OK\r\n"), std::string::npos);
  EXPECT_NE(format_response_head(old, {}).find("Connection: keep-alive\r\n"), std::string::npos);
}

TEST(WireFormat, ValuesCannotInjectHeaders) {
  ResponseHead h{200, 11, true, "a/b\r\nSet-Cookie: x=1", 0, false};
  auto head = format_response_head(h, {{"x-fulcrum-reason", "evil\r\nx-injected: 1"}});
  EXPECT_EQ(head.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_EQ(head.find("\r\nx-injected"), std::string::npos);
  auto post = format_post_head("/v1/chat/completions", "h", "application/json", "sk\r\nX: y", 3);
  EXPECT_EQ(post.find("\r\nX: y"), std::string::npos);
  // The line breaks are dropped, wherever they are, and the rest is kept.
  EXPECT_NE(format_response_head(h, {{"x-a", "\n1\r\n2\r\r3\n"}}).find("\r\nx-a: 123\r\n"), std::string::npos);
  EXPECT_NE(post.find("\r\nAuthorization: Bearer skX: y\r\n"), std::string::npos);
}

TEST(WireFormat, PostHead) {
  EXPECT_EQ(format_post_head("/v1/chat/completions", "api.deepseek.com", "text/event-stream", "sk-1", 17),
            "POST /v1/chat/completions HTTP/1.1\r\nHost: api.deepseek.com\r\nUser-Agent: fulcrum/0.1\r\n"
            "Content-Type: application/json\r\nAccept: text/event-stream\r\nAuthorization: Bearer sk-1\r\n"
            "Content-Length: 17\r\n\r\n");
  EXPECT_EQ(format_post_head("/x", "h:81", "application/json", "", 0).find("Authorization"), std::string::npos);
}

TEST(WireFormat, ChunkSizeLinesAreHex) {
  char buf[24];
  EXPECT_EQ(chunk_size_line(0, buf), "0\r\n");
  EXPECT_EQ(chunk_size_line(255, buf), "ff\r\n");
  EXPECT_EQ(chunk_size_line(4096, buf), "1000\r\n");
}

}  // namespace fulcrum
