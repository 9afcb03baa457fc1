#pragma once
// The kinds of work the router tells apart (learn/task_kind.h reads them from
// a prompt; rules test them as `task_kind`). Here, below both, so that the
// config can check a rule's kinds without knowing how they are read.
#include <array>
#include <cstddef>
#include <string_view>

namespace fulcrum {

inline constexpr std::array<std::string_view, 8> kTaskKinds{"code",    "math",     "reasoning", "extraction",
                                                            "writing", "roleplay", "chat",      "humanities"};
// The first kStrongTaskKinds are where a strong model's answers are markedly
// better on chat traffic; on the others a cheap model answers about as well.
inline constexpr std::size_t kStrongTaskKinds = 4;

}  // namespace fulcrum
