#include "args.hpp"

#include <charconv>

#include "cli_error.hpp"

namespace cairn::cli {

Args::Args(const std::string& command, const std::vector<std::string>& tokens, const std::vector<OptionSpec>& specs)
    : command_(command) {
  bool options_ended = false;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (options_ended || token == "-" || token.empty() || token[0] != '-') {
      positional_.push_back(token);
      continue;
    }
    if (token == "--") {
      options_ended = true;
      continue;
    }
    if (token.size() < 3 || token[1] != '-') {
      throw UsageError("unknown option '" + token + "' for 'cairn " + command_ + "'");
    }
    const size_t equals = token.find('=');
    const std::string name = token.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (!spec) throw UsageError("unknown option '--" + name + "' for 'cairn " + command_ + "'");
    std::string value;
    if (spec->takes_value) {
      if (equals != std::string::npos) {
        value = token.substr(equals + 1);
      } else if (i + 1 < tokens.size()) {
        value = tokens[++i];
      } else {
        throw UsageError("option '--" + name + "' needs a value");
      }
      if (value.empty()) throw UsageError("option '--" + name + "' needs a non-empty value");
    } else if (equals != std::string::npos) {
      throw UsageError("option '--" + name + "' takes no value");
    }
    auto& list = values_[name];
    if (!list.empty() && !spec->repeatable) throw UsageError("option '--" + name + "' given more than once");
    list.push_back(value);
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int64_t Args::integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const {
  const auto text = value(name);
  if (!text) return fallback;
  int64_t parsed = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  auto [next, ec] = std::from_chars(begin, end, parsed);
  if (ec != std::errc() || next != end || parsed < min || parsed > max) {
    throw UsageError("--" + name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got '" + *text + "'");
  }
  return parsed;
}

bool wants_help(const std::vector<std::string>& tokens) {
  for (const std::string& token : tokens) {
    if (token == "--") return false;
    if (token == "--help" || token == "-h") return true;
  }
  return false;
}

}  // namespace cairn::cli
