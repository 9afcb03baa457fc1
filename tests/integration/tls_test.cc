// The upstream client over TLS: certificate verified against the CA store
// (here SSL_CERT_FILE names a self-signed certificate made for the test), SNI
// and host-name checks. Needs the `openssl` command (from Debian's openssl).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <boost/json.hpp>

#include "config/load.h"
#include "integration/harness.h"

namespace fulcrum::testing {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("fulcrum-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    const auto cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                     "-addext subjectAltName=DNS:localhost -keyout " + key_ + " -out " + cert_ + " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a test certificate";
    fake_ = std::make_unique<FakeUpstream>(0, 1, cert_, key_);
  }
  void TearDown() override {
    runtime_.reset();
    fake_.reset();
    std::filesystem::remove_all(dir_);
    ::unsetenv("SSL_CERT_FILE");
  }

  // Starts a gateway whose only tier reaches the fake at `base_url`.
  void start_gateway(const std::string& base_url) {
    const auto yaml = "listen: 127.0.0.1:0\nthreads: 1\nlog: {access: false}\n"
                      "providers:\n  tls:\n    base_url: " + base_url + "\n    retries: {max: 0}\n"
                      "tiers:\n  secure: {provider: tls, model: m, price: {input: 1, output: 1}}\n"
                      "router: {default: secure}\n";
    auto loaded = load_config_text(yaml, "tls.yaml");
    ASSERT_TRUE(loaded.config);
    runtime_ = std::make_unique<GatewayRuntime>(loaded.config, nullptr);
    ASSERT_TRUE(runtime_->start());
  }

  HttpResult chat(bool stream) {
    std::string body = R"({"model":"secure","messages":[{"role":"user","content":"hi"}])";
    if (stream) body += R"(,"stream":true)";
    return http_call(runtime_->port(), "POST", "/v1/chat/completions", body + "}");
  }

  std::filesystem::path dir_;
  std::string cert_, key_;
  std::unique_ptr<FakeUpstream> fake_;
  std::unique_ptr<GatewayRuntime> runtime_;
};

TEST_F(TlsTest, TrustedCertificateWorksForWholeAndStreamedAnswers) {
  ::setenv("SSL_CERT_FILE", cert_.c_str(), 1);  // read when the gateway builds its TLS context
  start_gateway(fake_->tls_base_url("localhost") + "/v1");
  auto whole = chat(false);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_NE(whole.body.find("Hello from fake"), std::string::npos);
  auto streamed = chat(true);
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_NE(streamed.body.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(fake_->requests().size(), 2u);
  EXPECT_EQ(fake_->connections_accepted(), 1) << "the TLS connection is kept alive and reused";
}

TEST_F(TlsTest, UntrustedCertificateIsRefused) {
  ::unsetenv("SSL_CERT_FILE");  // the system store does not know our self-signed certificate
  start_gateway(fake_->tls_base_url("localhost") + "/v1");
  auto r = chat(false);
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("TLS handshake"), std::string::npos) << r.body;
  EXPECT_TRUE(fake_->requests().empty());
}

TEST_F(TlsTest, HostNameMismatchIsRefused) {
  ::setenv("SSL_CERT_FILE", cert_.c_str(), 1);
  start_gateway(fake_->tls_base_url("127.0.0.1") + "/v1");  // the certificate names localhost only
  auto r = chat(false);
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("TLS handshake with 127.0.0.1 failed"), std::string::npos) << r.body;
  EXPECT_TRUE(fake_->requests().empty());
}

}  // namespace
}  // namespace fulcrum::testing
