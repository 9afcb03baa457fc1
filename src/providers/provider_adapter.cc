#include "providers/provider_adapter.h"

#include "anthropic/messages_upstream.h"

namespace fulcrum {
namespace {

// Chat Completions as is: BASE/chat/completions with a Bearer key.
class ChatCompletionsAdapter final : public ProviderAdapter {
 public:
  Result<UpstreamRequest> encode(const Provider& p, const std::string& chat_body, const std::string& key,
                                 std::int64_t) const override {
    UpstreamRequest req;
    req.target = p.path_prefix + "/chat/completions";
    req.body = chat_body;
    req.bearer = key;
    return req;
  }
  std::unique_ptr<UpstreamResponse> decode(std::unique_ptr<UpstreamResponse> answer) const override { return answer; }
};

// Anthropic's Messages: BASE/v1/messages, x-api-key and anthropic-version, a translated body.
class MessagesAdapter final : public ProviderAdapter {
 public:
  // Messages requires max_tokens; a request without one gets the tier's max_output_tokens, else this.
  static constexpr std::int64_t kDefaultMaxTokens = 8192;

  Result<UpstreamRequest> encode(const Provider& p, const std::string& chat_body, const std::string& key,
                                 std::int64_t max_output_tokens) const override {
    auto body = chat_to_messages_request(chat_body, max_output_tokens > 0 ? max_output_tokens : kDefaultMaxTokens);
    if (!body) return std::move(body).error();
    UpstreamRequest req;
    req.target = p.path_prefix + "/v1/messages";
    req.body = std::move(body.value());
    if (!key.empty()) {
      req.extra_headers += "x-api-key: ";
      for (char c : key)
        if (c != '\r' && c != '\n') req.extra_headers += c;  // one header line, whatever the variable holds
      req.extra_headers += "\r\n";
    }
    req.extra_headers += "anthropic-version: 2023-06-01\r\n";
    return req;
  }
  std::unique_ptr<UpstreamResponse> decode(std::unique_ptr<UpstreamResponse> answer) const override {
    return chat_view_of_messages(std::move(answer));
  }
  std::string error_body(std::string body) const override { return chat_error_from_messages(std::move(body)); }
};

}  // namespace

const ProviderAdapter& adapter_for(const Provider& provider) {
  static const ChatCompletionsAdapter chat_completions;
  static const MessagesAdapter messages;
  switch (provider.api) {
    case ProviderApi::anthropic: return messages;
    case ProviderApi::openai: break;
  }
  return chat_completions;
}

}  // namespace fulcrum
