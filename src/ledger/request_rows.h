#pragma once
// The request rows a ledger batch writes, packed: each row's integer columns
// in one array entry and its text in one buffer the whole batch shares. A
// request handed to the ledger costs a few appends, and once the buffers have
// grown to a batch's size, no allocation, on either the request thread or
// the writer's. Rows are views into the batch; they live until clear().
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "accounting/request_record.h"

namespace fulcrum {

// A column's value, borrowed from the batch.
using SqlValueView = std::variant<std::int64_t, std::string_view>;

class RequestRows {
 public:
  static constexpr int kColumns = 26;  // kRequestColumns
  static constexpr int kTexts = 8;     // the text columns, then the captured prompt

  class Row {
   public:
    // The requests table's column c (kRequestColumns order).
    SqlValueView column(int c) const;
    std::string_view id() const { return text(0); }
    std::int64_t unix_ms() const { return packed_->integers[1]; }
    std::string_view prompt() const { return text(kTexts - 1); }  // empty unless captured

   private:
    friend class RequestRows;
    struct Packed {
      std::array<std::int64_t, kColumns> integers{};  // 0 in text columns
      std::size_t text_begin = 0;                     // in text_
      std::array<std::uint32_t, kTexts> text_end{};   // each text's end, from text_begin
    };
    Row(const Packed* packed, const char* text) : packed_(packed), text_(text) {}
    std::string_view text(int t) const;
    const Packed* packed_;
    const char* text_;  // this row's text
  };

  void add(const RequestRecord& r);
  Row operator[](std::size_t i) const { return Row(&rows_[i], text_.data() + rows_[i].text_begin); }
  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  void clear();
  std::size_t capacity_bytes() const { return text_.capacity() + rows_.capacity() * sizeof(Row::Packed); }

 private:
  std::vector<Row::Packed> rows_;
  std::string text_;
};

}  // namespace fulcrum
