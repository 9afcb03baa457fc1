#pragma once
// What kind of work a prompt asks for (code, math, reasoning, extraction,
// writing, role-play, casual chat, humanities), read from the words it uses.
// On chat traffic the strong tier's advantage concentrates in the first four
// kinds; on the other four the cheap tier answers about as well (MT-Bench's
// and RouteLLM's per-category results). Training sets such as MMLU and GSM8K
// hold none of chat's kinds, so no model trained on them can learn this; it is
// known, so it is written down: a fixed list of cue words per kind. A word may
// cue several kinds ("json": code and extraction). The learned router leans on
// the reading where a prompt is unlike its training data (learn/outcome_model.h),
// and rules can test it as the `task_kind` feature.
//
// The lists were written from what chat prompts of each kind say, and pruned
// of words every kind uses ("explain", "list", "step", "text"), which made the
// reading alone rank judged outcomes better on every set
// (bench/RESULTS.md, session 16). Thread-safe; reading PromptWords allocates
// nothing after the first call, which builds the cue table.
#include <array>
#include <cstdint>
#include <string_view>

#include "core/task_kinds.h"
#include "learn/text_features.h"

namespace fulcrum {

struct TaskKindReading {
  std::array<std::uint16_t, kTaskKinds.size()> cues{};  // cue words per kind

  // The kind with the most cue words (the first in kTaskKinds on a tie);
  // empty when the prompt has none.
  std::string_view kind() const;
  // (cues of the kinds where the strong tier helps - cues of the others) /
  // (all cues + 1): in (-1, 1), 0 with no cue; a single cue word gives +-0.5.
  double demand() const;
};

// Reads the words the text features hashed (PromptWords: the first words of
// the prompt's head and tail window).
TaskKindReading read_task_kind(const PromptWords& words);
TaskKindReading read_task_kind(std::string_view prompt);  // hashes the words first (tools, tests)

}  // namespace fulcrum
