#pragma once
// Runs a blocking call on another executor (a thread pool) and resumes the
// calling coroutine on its own executor with the result, so that an event
// loop other requests share never waits on the call.
#include <type_traits>
#include <utility>

#include "http/asio.h"

namespace fulcrum {

// `call` is moved to `where` and must own what it reads: the caller's event
// loop may stop while it runs, and then the result is dropped.
template <class Call>
Task<std::invoke_result_t<Call&>> run_elsewhere(net::any_io_executor where, Call call) {
  using R = std::invoke_result_t<Call&>;
  co_return co_await net::async_initiate<const net::use_awaitable_t<>&, void(R)>(
      [where](auto handler, Call moved) {
        net::post(where, [handler = std::move(handler), call = std::move(moved)]() mutable {
          // Keeps the caller's event loop from running out of work meanwhile.
          auto home = net::get_associated_executor(handler);
          auto guard = net::make_work_guard(home);
          R result = call();
          net::post(home, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      net::use_awaitable, std::move(call));
}

}  // namespace fulcrum
