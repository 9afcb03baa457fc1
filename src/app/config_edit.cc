#include "app/config_edit.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "config/load.h"

namespace fulcrum {

Status write_threshold_level(const std::string& path, std::size_t policy, std::size_t level, double value) {
  auto bad = [&](const std::string& why) { return make_error(Errc::invalid_request, path + ": " + why); };
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();

  YAML::Node at;
  try {
    const auto root = YAML::Load(text);
    at = root["router"]["policies"][policy]["levels"][level]["at"];
  } catch (const YAML::Exception& e) {
    return bad(std::string("cannot parse: ") + e.what());
  }
  const auto where = "router.policies[" + std::to_string(policy) + "].levels[" + std::to_string(level) + "].at";
  if (!at.IsDefined() || !at.IsScalar()) return bad(where + " is not a plain value");
  const auto mark = at.Mark();
  if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text.size()) return bad(where + ": no position in the file");
  const auto begin = static_cast<std::size_t>(mark.pos);
  auto end = begin;
  const char first = text[begin];
  if (first == '"' || first == '\'') {
    end = text.find(first, begin + 1);
    if (end == std::string::npos) return bad(where + ": unterminated quote");
    ++end;
  } else {
    while (end < text.size() && std::string_view(",}] \t\r\n#").find(text[end]) == std::string_view::npos) ++end;
  }
  char number[64];
  std::snprintf(number, sizeof number, "%.9g", value);
  text.replace(begin, end - begin, number);

  auto check = load_config_text(text, path);
  if (!check.config) return bad("the edited config does not validate (file left unchanged): " + check.errors.front());
  const auto temp = path + ".fulcrum-tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return bad("cannot write " + temp);
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    return bad("cannot replace the file: " + ec.message());
  }
  return Ok{};
}

}  // namespace fulcrum
