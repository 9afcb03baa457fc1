#include "openai/error_body.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace fulcrum {

TEST(ErrorBody, MapsEachErrorToStatusAndOpenAiShape) {
  struct Case { Errc code; int status; const char* type; };
  const Case cases[] = {
      {Errc::invalid_json, 400, "invalid_request_error"}, {Errc::invalid_request, 400, "invalid_request_error"},
      {Errc::unknown_model, 400, "invalid_request_error"}, {Errc::body_too_large, 413, "invalid_request_error"},
      {Errc::not_found, 404, "invalid_request_error"}, {Errc::missing_api_key, 401, "authentication_error"},
      {Errc::upstream_unreachable, 502, "upstream_error"}, {Errc::upstream_timeout, 504, "upstream_error"},
      {Errc::internal, 500, "server_error"},
  };
  for (const auto& c : cases) {
    auto h = to_http_error(make_error(c.code, "why", "messages"));
    EXPECT_EQ(h.status, c.status);
    auto err = boost::json::parse(h.body).at("error").as_object();
    EXPECT_EQ(err.at("message").as_string(), "why");
    EXPECT_EQ(err.at("type").as_string(), c.type);
    EXPECT_EQ(err.at("param").as_string(), "messages");
    EXPECT_TRUE(err.at("code").is_string());
  }
}

TEST(ErrorBody, PassesUpstreamErrorsThrough) {
  Error e = make_error(Errc::upstream_status, "provider said no");
  e.upstream_status = 422;
  e.upstream_body = R"({"error":{"message":"bad param","type":"invalid_request_error"}})";
  auto h = to_http_error(e);
  EXPECT_EQ(h.status, 422);
  EXPECT_EQ(h.body, e.upstream_body);
  EXPECT_FALSE(is_retryable(e));
  e.upstream_status = 429;
  EXPECT_TRUE(is_retryable(e));
  e.upstream_status = 503;
  EXPECT_TRUE(is_retryable(e));
}

}  // namespace fulcrum
