#pragma once
// Short names for the networking library used across http/. Only http/ and
// app/ include this; the request handling code sees http/exchange.h only.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace fulcrum {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
template <class T>
using Task = boost::asio::awaitable<T>;
}  // namespace fulcrum
