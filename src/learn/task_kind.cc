#include "learn/task_kind.h"

#include <vector>

namespace fulcrum {
namespace {

// Cue words per kind, in kTaskKinds order. Whole lower-case words as the text
// features split them (letters and digits; "c++" is "c"), so none has a mark.
constexpr std::array<std::string_view, kTaskKinds.size()> kCueWords{
    // code
    "algorithm android api array async backend bash bug bugs code command compile compiler cpp css database "
    "dataframe debug dict dictionary django docker endpoint excel exception flask formula framework frontend "
    "function git github golang html implement implementation import integer ios java javascript json kotlin "
    "kubernetes library linux loop module node npm numpy pandas php pip powershell program programming python "
    "queries query react recursion refactor regex regexp ruby runtime rust script server shell spring sql "
    "stacktrace swift syntax terminal thread typescript unittest vba yaml const def void printf println elif "
    "lambda struct null boolean int char malloc nullptr",
    // math
    "algebra angle arithmetic calculate calculus circle compute derivative differentiate divisible eigenvalue "
    "equation equations expected factorial fraction fractions geometry integer integers integral integrate lemma "
    "logarithm matrices matrix median modulo percent percentage polynomial prime primes probability proof prove "
    "radius ratio sequence solve sqrt statistics theorem triangle variance vector vectors",
    // reasoning
    "assume brother conclude deduce faster infer liar lie lies logic logical older paradox puzzle reasoning riddle "
    "scenario sister suppose taller therefore trick younger",
    // extraction
    "article bullet bullets categorise categorize classify csv document entities extract extraction json keywords "
    "outline paragraph parse passage tabulate",
    // writing
    "announcement blog caption chapter compose creative draft email essay eulogy fantasy fiction haiku headline "
    "invitation letter limerick lyrics narrative novel poem poems rhyme screenplay script slogan song sonnet "
    "speech stories story tagline toast tweet verse write",
    // roleplay
    "detective dungeon imagine master persona pirate pretend role roleplay wizard youre",
    // chat
    "bored favorite favourite feeling gift happy hello hey hi hobby joke jokes lonely recommendation sad thank "
    "thanks tired weekend",
    // humanities
    "art artist century civilization cultural culture democracy economy empire ethical ethics historical history "
    "literature moral morality novelist philosopher philosophy poet political politics religion religious society "
    "war",
};

// Open addressing on the words' 32-bit hashes (the text features' own, so a
// prompt's words are looked up without hashing them again): ~270 cue words in
// 1,024 slots, a few probes at most.
class CueTable {
 public:
  CueTable() {
    std::vector<Feature> scratch;
    for (std::size_t kind = 0; kind < kCueWords.size(); ++kind) {
      std::string_view list = kCueWords[kind];
      while (!list.empty()) {
        const auto space = list.find(' ');
        const auto word = list.substr(0, space);
        list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
        const PromptWords w = prompt_words(word, scratch);
        if (w.count == 1) insert(w.hash[0], static_cast<std::uint8_t>(1u << kind));
      }
    }
  }
  std::uint8_t kinds(std::uint32_t hash) const {
    for (std::uint32_t i = hash & kMask;; i = (i + 1) & kMask) {
      if (kinds_[i] == 0) return 0;
      if (hash_[i] == hash) return kinds_[i];
    }
  }

 private:
  static constexpr std::uint32_t kSlots = 1024, kMask = kSlots - 1;
  void insert(std::uint32_t hash, std::uint8_t kind_bit) {
    std::uint32_t i = hash & kMask;
    while (kinds_[i] != 0 && hash_[i] != hash) i = (i + 1) & kMask;
    hash_[i] = hash;
    kinds_[i] |= kind_bit;
  }
  std::array<std::uint32_t, kSlots> hash_{};
  std::array<std::uint8_t, kSlots> kinds_{};  // 0: an empty slot
};

const CueTable& cue_table() {
  static const CueTable table;
  return table;
}

}  // namespace

std::string_view TaskKindReading::kind() const {
  std::size_t best = 0;
  for (std::size_t k = 1; k < cues.size(); ++k)
    if (cues[k] > cues[best]) best = k;
  return cues[best] > 0 ? kTaskKinds[best] : std::string_view{};
}

double TaskKindReading::demand() const {
  int strong = 0, other = 0;
  for (std::size_t k = 0; k < cues.size(); ++k) (k < kStrongTaskKinds ? strong : other) += cues[k];
  return static_cast<double>(strong - other) / static_cast<double>(strong + other + 1);
}

TaskKindReading read_task_kind(const PromptWords& words) {
  const auto& table = cue_table();
  TaskKindReading r;
  for (std::size_t i = 0; i < words.count; ++i) {
    const std::uint8_t kinds = table.kinds(words.hash[i]);
    if (kinds == 0) continue;
    for (std::size_t k = 0; k < kTaskKinds.size(); ++k) r.cues[k] += (kinds >> k) & 1u;
  }
  return r;
}

TaskKindReading read_task_kind(std::string_view prompt) {
  std::vector<Feature> scratch;
  return read_task_kind(prompt_words(prompt, scratch));
}

}  // namespace fulcrum
